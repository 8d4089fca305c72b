# A Python client (the standard library's urllib, which asks for `Connection: close`) POSTing a
# body of argv[2] bytes to the daemon at argv[1], with a Content-Length or, with argv[3] ==
# "chunked", chunked. Like most clients it sends the whole body before it reads the answer.
# Prints the status and body as one JSON line, or the error that cut it off.
import json
import sys
import urllib.error
import urllib.request

url, size, framing = sys.argv[1], int(sys.argv[2]), sys.argv[3]
piece = b"x" * (64 * 1024)
count = size // len(piece)
# An iterable body without a Content-Length is sent chunked.
body = (piece for _ in range(count)) if framing == "chunked" else piece * count
request = urllib.request.Request(f"{url}/v1/messages", data=body, headers={"content-type": "application/json"}, method="POST")
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        print(json.dumps({"status": response.status, "body": json.loads(response.read())}))
except urllib.error.HTTPError as error:
    print(json.dumps({"status": error.code, "body": json.loads(error.read())}))
except (urllib.error.URLError, OSError) as error:
    reason = getattr(error, "reason", error)
    print(json.dumps({"error": type(reason).__name__}))
