import json, re, hashlib, sys
print(json.dumps({'a': [1, 2, {'b': None}]}, sort_keys=True))
print(re.findall(r'\w+m', 'lorem ipsum dolor'))
print(hashlib.sha1(b'abc').hexdigest())
print(sorted(open(sys.argv[1]).read().split())[:5])
