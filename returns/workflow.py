"""The return's state machine: one table. Services move a return's status only through here."""

from core.errors import InvalidTransition
from returns.models import ReturnStatus as S

RETURN_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.APPROVED, S.PENDING_APPROVAL},
    S.PENDING_APPROVAL: {S.APPROVED, S.DENIED, S.DRAFT},
    S.APPROVED: {S.RECEIVED, S.EXPIRED},
    S.RECEIVED: {S.REFUNDING},
    S.REFUNDING: {S.REFUNDED, S.REFUND_FAILED},
    S.REFUND_FAILED: {S.REFUNDING},
    S.DENIED: set(),
    S.EXPIRED: set(),
    S.REFUNDED: set(),
}

# Lines can change while a return is entered or waits for a supervisor; later, the RMA was sent.
EDITABLE = frozenset({S.DRAFT, S.PENDING_APPROVAL})
# Returns that hold quantities of order lines (the others freed them: denied or expired).
ACTIVE = frozenset(set(S.values) - {S.DENIED, S.EXPIRED})


def check_transition(current: str, target: str) -> None:
    if target not in RETURN_TRANSITIONS[current]:
        raise InvalidTransition(
            f"A return that is {S(current).label.lower()} cannot become {S(target).label.lower()}."
        )
