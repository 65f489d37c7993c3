"""Payment gateway interface and the deterministic sandbox adapter.

The desk never keeps a full card number or a CVV: a new card is checked here (Luhn, expiry,
CVV present), sent to the gateway for a token, and only the token, brand, last four digits and
expiry are kept. `CardInput.__repr__` masks the number so that it never reaches a log line.

Core keeps it so that customers' stored cards and orders' payments share one gateway. Which
gateway is used: `settings.PAYMENT_GATEWAY` (a dotted path; the sandbox by default).

Sandbox test cards (any future expiry, any 3-4 digit CVV):

| number              | outcome                                   | token               |
|---------------------|-------------------------------------------|---------------------|
| 4242424242424242    | approved                                  | sbx_approve_<rand>  |
| 5555555555554444    | approved (Mastercard)                     | sbx_approve_<rand>  |
| 4000000000000002    | declined ("card declined by the issuer")  | sbx_decline_<rand>  |
| 4000000000000119    | approved with an AVS mismatch → review    | sbx_avs_<rand>      |
| 4000000000000069    | gateway error (as if the gateway is down) | sbx_error_<rand>    |
| 4000000000000341    | approved; a later increase is declined    | sbx_noincr_<rand>   |

Any other Luhn-valid number is approved. Stored cards from demo data use `sbx_approve_...`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from core.errors import DomainError


class Outcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    AVS_MISMATCH = "avs_mismatch"
    ERROR = "error"


class CardInvalid(DomainError):
    code = "card_invalid"


@dataclass(frozen=True)
class CardInput:
    """A card as typed by the CSR. Lives only for the length of one request."""

    number: str
    exp_month: int
    exp_year: int
    cvv: str
    holder_name: str = ""

    def __repr__(self) -> str:  # never show the number or the CVV
        return f"CardInput(****{self.number[-4:]}, {self.exp_month:02d}/{self.exp_year})"

    __str__ = __repr__


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class AuthResult:
    outcome: Outcome
    reason: str = ""
    authorization_id: str = ""
    avs_code: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return self.outcome in (Outcome.APPROVED, Outcome.AVS_MISMATCH)


class PaymentGateway(ABC):
    """What the desk needs from a card processor: tokens for stored cards, the
    authorize/capture/void of an order's payments, and refunds against a capture (returns)."""

    name = "gateway"

    @abstractmethod
    def tokenize(self, card: CardInput) -> CardToken: ...

    @abstractmethod
    def authorize(
        self,
        *,
        token: str,
        amount: Decimal,
        currency: str,
        billing_address: dict | None,
        reference: str = "",
    ) -> AuthResult:
        """`reference`: the submit's idempotency key. Asked again with the same reference (a
        submit resumed after the process died), the gateway returns the same authorization
        instead of charging twice."""

    @abstractmethod
    def capture(self, *, authorization_id: str, amount: Decimal) -> AuthResult: ...

    @abstractmethod
    def void(self, *, authorization_id: str) -> AuthResult: ...

    @abstractmethod
    def refund(self, *, capture_id: str, amount: Decimal, reference: str = "") -> AuthResult:
        """`reference` makes it idempotent: the same reference returns the same refund."""

    # An order changed after submit (issue 16). A gateway without incremental authorization
    # raises NotImplementedError: the caller then re-authorizes the new total in full and
    # voids the old authorization once the change is committed.
    def increment(
        self, *, token: str, authorization_id: str, amount: Decimal, currency: str, reference: str
    ) -> AuthResult:
        """Authorize `amount` more on an open authorization (same id when approved)."""
        raise NotImplementedError

    def reduce(self, *, authorization_id: str, amount: Decimal) -> AuthResult:
        """Release `amount` of an open authorization (a partial reversal)."""
        raise NotImplementedError


# --- card checks (before anything leaves the desk) -------------------------------------------


def digits_only(number: str) -> str:
    return "".join(ch for ch in str(number) if ch.isdigit())


def luhn_ok(number: str) -> bool:
    digits = digits_only(number)
    if not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def card_brand(number: str) -> str:
    d = digits_only(number)
    if d.startswith("4"):
        return "Visa"
    if d[:2] in {"51", "52", "53", "54", "55"} or "2221" <= d[:4] <= "2720":
        return "Mastercard"
    if d[:2] in {"34", "37"}:
        return "Amex"
    if d.startswith("6011") or d.startswith("65"):
        return "Discover"
    return "Card"


def check_card(
    *, number: str, exp_month, exp_year, cvv: str, today: dt.date | None = None
) -> CardInput:
    """Validate a typed card; raises CardInvalid naming the field to fix."""
    digits = digits_only(number)
    if not digits:
        raise CardInvalid("Enter the card number.", field="card_number")
    if not luhn_ok(digits):
        raise CardInvalid(
            "This card number is not valid; check the digits with the customer.",
            field="card_number",
        )
    try:
        month, year = int(exp_month), int(exp_year)
    except (TypeError, ValueError):
        raise CardInvalid("Enter the expiry as MM and YYYY.", field="exp_month") from None
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise CardInvalid("The expiry month must be 01 to 12.", field="exp_month")
    today = today or timezone.localdate()
    if (year, month) < (today.year, today.month):
        raise CardInvalid(
            f"This card expired in {month:02d}/{year}; ask for another card.", field="exp_year"
        )
    cvv = (cvv or "").strip()
    if not (cvv.isdigit() and 3 <= len(cvv) <= 4):
        raise CardInvalid(
            "Enter the 3 or 4 digit security code (CVV) from the back of the card.", field="cvv"
        )
    return CardInput(number=digits, exp_month=month, exp_year=year, cvv=cvv)


# --- the sandbox -----------------------------------------------------------------------------

SANDBOX_CARDS = {
    "4242424242424242": "approve",
    "5555555555554444": "approve",
    "4000000000000002": "decline",
    "4000000000000119": "avs",
    "4000000000000069": "error",
    "4000000000000341": "noincr",
}


class SandboxGateway(PaymentGateway):
    """Deterministic: the outcome is chosen by the test card and carried in the token."""

    name = "sandbox"

    def tokenize(self, card: CardInput) -> CardToken:
        outcome = SANDBOX_CARDS.get(card.number, "approve")
        return CardToken(
            token=f"sbx_{outcome}_{secrets.token_hex(8)}",
            brand=card_brand(card.number),
            last4=card.number[-4:],
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    @staticmethod
    def _outcome_of(token: str) -> str:
        parts = token.split("_")
        return parts[1] if len(parts) >= 2 and parts[0] == "sbx" else "unknown"

    def authorize(
        self,
        *,
        token: str,
        amount: Decimal,
        currency: str,
        billing_address: dict | None,
        reference: str = "",
    ) -> AuthResult:
        outcome = self._outcome_of(token)
        digest = hashlib.sha256(f"{token}:{amount}:{reference}".encode()).hexdigest()
        auth_id = "sbxauth_" + digest[:16]
        if outcome in ("approve", "noincr"):
            return AuthResult(Outcome.APPROVED, "Approved", auth_id, avs_code="Y")
        if outcome == "avs":
            return AuthResult(
                Outcome.AVS_MISMATCH,
                "Approved, but the billing address does not match the card (AVS).",
                auth_id,
                avs_code="N",
            )
        if outcome == "decline":
            return AuthResult(
                Outcome.DECLINED,
                "The card was declined by the issuer; ask the customer for another card.",
            )
        if outcome == "error":
            return AuthResult(
                Outcome.ERROR,
                "The payment gateway did not answer; nothing was charged. Try again shortly.",
            )
        return AuthResult(
            Outcome.DECLINED, "The gateway does not know this card token; enter the card again."
        )

    def capture(self, *, authorization_id: str, amount: Decimal) -> AuthResult:
        return AuthResult(Outcome.APPROVED, "Captured", authorization_id)

    def void(self, *, authorization_id: str) -> AuthResult:
        return AuthResult(Outcome.APPROVED, "Voided", authorization_id)

    def increment(
        self, *, token: str, authorization_id: str, amount: Decimal, currency: str, reference: str
    ) -> AuthResult:
        """Deterministic like `authorize`: the test card decides; `noincr` cards (and declined,
        failing or unknown ones) refuse the increase."""
        outcome = self._outcome_of(token)
        if outcome in ("approve", "avs"):
            return AuthResult(Outcome.APPROVED, "Increased", authorization_id)
        if outcome == "error":
            return AuthResult(
                Outcome.ERROR,
                "The payment gateway did not answer; nothing was charged. Try again shortly.",
            )
        return AuthResult(
            Outcome.DECLINED,
            "The issuer declined the increase; ask the customer for another card.",
        )

    def reduce(self, *, authorization_id: str, amount: Decimal) -> AuthResult:
        return AuthResult(Outcome.APPROVED, "Reduced", authorization_id)

    def refund(self, *, capture_id: str, amount: Decimal, reference: str = "") -> AuthResult:
        """Refund part of a capture (returns); the same reference gives the same refund id."""
        digest = hashlib.sha256(f"{capture_id}:{amount}:{reference}".encode()).hexdigest()
        return AuthResult(Outcome.APPROVED, "Refunded", "sbxrefund_" + digest[:16])


def get_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()
