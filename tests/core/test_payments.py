import datetime as dt
from decimal import Decimal

import pytest

from core import payments
from core.payments import CardInvalid, Outcome, SandboxGateway, check_card, luhn_ok

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    "number,ok",
    [
        ("4242424242424242", True),
        ("4242 4242 4242 4242", True),
        ("4242424242424241", False),
        ("5555555555554444", True),
        ("378282246310005", True),
        ("1234", False),
    ],
)
def test_luhn(number, ok):
    assert luhn_ok(number) is ok


def test_check_card_names_the_field_to_fix():
    with pytest.raises(CardInvalid) as exc:
        check_card(number="4242424242424241", exp_month=1, exp_year=2030, cvv="123", today=TODAY)
    assert exc.value.field == "card_number"
    with pytest.raises(CardInvalid) as exc:
        check_card(number="4242424242424242", exp_month=10, exp_year=2026, cvv="123", today=TODAY)
    assert exc.value.field == "exp_year" and "expired in 10/2026" in exc.value.message
    with pytest.raises(CardInvalid) as exc:
        check_card(number="4242424242424242", exp_month=13, exp_year=2030, cvv="123", today=TODAY)
    assert exc.value.field == "exp_month"
    with pytest.raises(CardInvalid) as exc:
        check_card(number="4242424242424242", exp_month=1, exp_year=2030, cvv="", today=TODAY)
    assert exc.value.field == "cvv"
    card = check_card(number="4242424242424242", exp_month=11, exp_year=26, cvv="123", today=TODAY)
    assert card.exp_year == 2026


def test_a_card_never_shows_its_number_or_cvv():
    card = check_card(number="4242424242424242", exp_month=1, exp_year=2030, cvv="987")
    text = repr(card) + str(card) + f"{card}"
    assert "424242424242" not in text and "987" not in text and "4242" in text


@pytest.mark.parametrize(
    "number,outcome,prefix",
    [
        ("4242424242424242", Outcome.APPROVED, "sbx_approve_"),
        ("4000000000000002", Outcome.DECLINED, "sbx_decline_"),
        ("4000000000000119", Outcome.AVS_MISMATCH, "sbx_avs_"),
        ("4000000000000069", Outcome.ERROR, "sbx_error_"),
    ],
)
def test_sandbox_outcomes_follow_the_test_cards(number, outcome, prefix):
    gateway = SandboxGateway()
    token = gateway.tokenize(check_card(number=number, exp_month=1, exp_year=2030, cvv="123"))
    assert token.token.startswith(prefix) and token.last4 == number[-4:]
    assert number not in token.token
    result = gateway.authorize(
        token=token.token, amount=Decimal("10.00"), currency="CAD", billing_address=None
    )
    assert result.outcome == outcome
    assert result.reason
    assert gateway.void(authorization_id="x").outcome == Outcome.APPROVED


def test_the_gateway_is_chosen_by_a_setting(settings):
    settings.PAYMENT_GATEWAY = "core.payments.SandboxGateway"
    assert isinstance(payments.get_gateway(), SandboxGateway)
