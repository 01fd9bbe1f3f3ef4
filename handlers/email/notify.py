"""GOV.UK Notify as an email transport (``RAGTIME_EMAIL_TRANSPORT=notify``): see
``handlers.email.transports``. A module of its own so that only a deployment sending through
Notify loads its client."""

from __future__ import annotations

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from bot.ports.messages import PermanentSendError, TransientSendError
from handlers.email.outgoing import Email


class NotifyTransport:
    def __init__(self, *, api_key: str, template_id: str, base_url: str,
                 timeout: float = 30.0) -> None:
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)
        self.template_id = template_id

    def send(self, email: Email) -> str:
        try:
            answer = self.client.send_email_notification(
                email_address=email.to, template_id=self.template_id,
                personalisation=dict(email.fields), reference=email.key)
        except APIError as error:
            raise _notify_error(error, email.to) from error
        except OSError as error:  # requests' connection errors are OSErrors
            raise TransientSendError(f"cannot reach GOV.UK Notify: {error}",
                                     error="notify_network") from error
        return str(answer.get("id") or "")

    def already_sent(self, email: Email) -> str | None:
        """Notify keeps each notification's ``reference``: ask before sending again."""
        try:
            found = self.client.get_all_notifications(reference=email.key)
        except (APIError, OSError) as error:
            raise TransientSendError(f"cannot ask GOV.UK Notify whether {email.key} was sent: "
                                     f"{error}", error="notify_lookup") from error
        for notification in found.get("notifications") or []:
            if notification.get("reference") == email.key:
                return str(notification.get("id") or "")
        return None


def _notify_error(error: APIError, to: str) -> Exception:
    code = error.status_code
    text = f"GOV.UK Notify answered {code} for {to}: {error.message}"
    if code in (400, 403):  # a bad address, template or key: retrying will not help
        return PermanentSendError(text, error=f"notify_{code}")
    return TransientSendError(text, error=f"notify_{code}")
