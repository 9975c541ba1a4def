#!/usr/bin/env python3
"""Signs in to Senco with a passphrase and a TOTP code; prints the session cookie value.

Usage: signin.py BASE_URL EMAIL PASSPHRASE TOTP_KEY_BASE32
Standard library only (the load benchmark must not need more)."""
import base64, hashlib, hmac, http.client, struct, sys, time, urllib.parse


def totp(key_b32: str, at: float) -> str:
    key = base64.b32decode(key_b32 + "=" * (-len(key_b32) % 8))
    msg = struct.pack(">Q", int(at) // 30)
    h = hmac.new(key, msg, hashlib.sha1).digest()
    o = h[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def post(conn, path, fields, cookie=None):
    body = urllib.parse.urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = "__Host-senco=" + cookie
    conn.request("POST", path, body, headers)
    r = conn.getresponse()
    r.read()
    for k, v in r.getheaders():
        if k.lower() == "set-cookie" and v.startswith("__Host-senco="):
            cookie = v.split(";", 1)[0].split("=", 1)[1] or None
    return r.status, r.getheader("location"), cookie


def main():
    base, email, passphrase, key = sys.argv[1:5]
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    status, where, cookie = post(conn, "/sign-in", {"email": email, "password": passphrase})
    if status != 303 or not cookie:
        sys.exit(f"sign-in as {email} failed: {status}")
    if where == "/sign-in/code":
        pending = cookie
        status, where, cookie = post(conn, "/sign-in/code", {"code": totp(key, time.time())}, pending)
        if status == 422:
            # A code is good once (replay protection): if this account signed in during the
            # current 30-second step, wait for the next code.
            time.sleep(30 - time.time() % 30 + 1)
            status, where, cookie = post(conn, "/sign-in/code", {"code": totp(key, time.time())}, pending)
        if status != 303 or where != "/":
            sys.exit(f"code for {email} refused: {status} {where}")
    print(cookie)


if __name__ == "__main__":
    main()
