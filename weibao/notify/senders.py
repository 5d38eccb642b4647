"""Delivery of one message: e-mail over SMTP, WeCom and DingTalk group-robot webhooks.

Each sender raises `DeliveryFailed` with a short reason (no message text, no key) when
the message did not arrive; the outbox then retries it later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


class DeliveryFailed(Exception):
    """The receiver did not take the message; `str()` is safe to store and log."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    sender: str = "weibao@localhost"
    starttls: bool = False
    timeout: float = 5.0


def send_email(config: SmtpConfig, to: str, subject: str, body: str) -> None:
    if not config.host:
        raise DeliveryFailed("no SMTP server configured (WEIBAO_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or "weibao")
    message.set_content(body, charset="utf-8")
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls()
            if config.username:
                smtp.login(config.username, config.password)
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"SMTP {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP {type(exc).__name__}") from exc


def _post_json(url: str, payload: dict[str, object], timeout: float) -> dict[str, object]:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # an admin-set robot URL
            raw = response.read(65_536)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DeliveryFailed(f"unreachable ({type(exc).__name__})") from exc
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DeliveryFailed("the robot did not answer JSON") from exc
    if not isinstance(answer, dict):
        raise DeliveryFailed("the robot did not answer a JSON object")
    return answer


def _check_errcode(answer: dict[str, object]) -> None:
    # Both robots answer 200 with {"errcode": 0, "errmsg": "ok"}; anything else failed.
    code = answer.get("errcode", 0)
    if code not in (0, "0"):
        raise DeliveryFailed(f"robot errcode {code}")


def send_wecom(url: str, subject: str, body: str, timeout: float) -> None:
    """A WeCom (企业微信) group robot: markdown message."""
    content = f"**{subject}**\n" + "\n".join(f"> {line}" for line in body.splitlines())
    _check_errcode(_post_json(url, {"msgtype": "markdown", "markdown": {"content": content}}, timeout))


def dingtalk_signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """The robot URL with DingTalk's 加签 timestamp and HMAC-SHA256 signature."""
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp}&sign={sign}"


def send_dingtalk(url: str, secret: str, subject: str, body: str, timeout: float) -> None:
    """A DingTalk (钉钉) group robot: markdown message, signed when the robot has a secret."""
    target = dingtalk_signed_url(url, secret) if secret else url
    text = f"#### {subject}\n\n" + "\n\n".join(body.splitlines())
    _check_errcode(_post_json(
        target, {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}, timeout
    ))
