my %h = map { $_ => length } qw(apple kiwi banana);
print join(',', map { "$_=$h{$_}" } sort keys %h), "\n";
printf("%.6f\n", atan2(1, 1) * 4);
system('echo from system');
open(my $f, '<', $ARGV[0]) or die; my @l = <$f>; print scalar(@l), " lines\n";
