# ls -la of a tree made here, its times set long past (the guest's clock is virtual).
mkdir -p w/d/sub && printf 'x\n' > w/d/f && ln -sf f w/d/link
touch -h -d @946684800 w/d/f w/d/link w/d/sub w/d w
ls -la w/d
