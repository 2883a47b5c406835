"""A small HTTP client for the stack: its own cookies, no redirect followed, our own
self-signed certificate accepted, French first, one client address of its choice."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    headers: object  # email.message.Message: get(), get_all()
    text: str
    body: bytes = b""  # as sent (still compressed when Content-Encoding says so)

    def cache_control(self) -> str:
        return ", ".join(self.headers.get_all("Cache-Control") or [])

    def max_age(self) -> int:
        ages = [int(v) for v in re.findall(r"max-age=(\d+)", self.cache_control())]
        return max(ages, default=0)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class StackClient:
    def __init__(self, base: str, context, client_address: str | None = None, timeout=30):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.timeout = timeout
        # nginx appends its own view of the client (127.0.0.1, a trusted proxy) after this:
        # the site counts this address, as it would a visitor's behind a real proxy.
        self.client_address = client_address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect,
        )

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def request(self, method: str, path: str, data=None, headers=None) -> Answer:
        body = None
        all_headers = {"Accept-Language": "fr", "User-Agent": "Mozilla/5.0 (stack test)"}
        if self.client_address:
            all_headers["X-Forwarded-For"] = self.client_address
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            all_headers["Origin"] = self.base
            all_headers["Referer"] = self.url(path)
        all_headers.update(headers or {})
        url = self.url(path)
        assert url.startswith(("https://127.0.0.1", "http://127.0.0.1")), url  # the stack only
        request = urllib.request.Request(url, data=body, method=method, headers=all_headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read()
                return Answer(
                    response.status, response.headers, body.decode("utf-8", "replace"), body
                )
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            with error:
                body = error.read()
                return Answer(error.code, error.headers, body.decode("utf-8", "replace"), body)

    def get(self, path: str, headers=None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict, headers=None) -> Answer:
        data = {**data, "csrfmiddlewaretoken": self.cookie("csrftoken")}
        return self.request("POST", path, data=data, headers=headers)

    def cookie(self, name: str) -> str:
        for cookie in self.jar:
            if cookie.name == name:
                return cookie.value
        return ""
