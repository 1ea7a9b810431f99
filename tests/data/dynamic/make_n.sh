# make -n on a small Makefile whose files are long past (the guest's clock is virtual).
printf 'all: w/b\nw/b: w/a\n\tcp w/a w/b\n' > w/Makefile
echo x > w/a
touch -d @946684800 w/a w/Makefile
make -n -f w/Makefile
rm w/Makefile w/a
