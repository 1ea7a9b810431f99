import subprocess, sys
r = subprocess.run(['ls', sys.argv[1]], capture_output=True, text=True)
print(r.returncode, r.stdout.split())
print(subprocess.check_output('echo $((1 + 2)) | cat', shell=True, text=True), end='')
