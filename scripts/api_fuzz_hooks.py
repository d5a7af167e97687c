"""schemathesis hooks for scripts/api-fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

`state_relative_400` keeps the one exception of api-fuzz.sh narrow: a request
that is valid by /openapi.json may be refused with 400 only for what it means
against the ledger's state at that moment, which no schema can state. Any other
400 to such a request is a contract failure: the schema says a value is fine and
the server refuses it (the failures issue 14 was about).
"""

import schemathesis

# The messages of the server's state-relative refusals (crates/subledger-api:
# reads::as_of, reads::caught_up, reads::range, extract::instant; the seal's proofs).
STATE_RELATIVE = (
    "is after the ledger's now",  # as_of later than the (simulated) clock
    "is beyond the log's last position",  # min_position past the head
    "to is before from",  # an empty range
    "is outside the dates the ledger records",  # GEN-1: its UTC reading leaves 0000-9999
    "is not a sealed size",  # inclusion proof: tree_size past the seal
    "is not one of the first",  # inclusion proof: position not in that tree
    "a consistency proof needs 1 <= from <= to <=",  # consistency: sizes past the seal
)


@schemathesis.check
def state_relative_400(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        message = response.json()["error"]["message"]
    except Exception:  # noqa: BLE001 - any other body is a failure below
        message = response.text
    if any(reason in message for reason in STATE_RELATIVE):
        return None
    raise AssertionError(
        "A request valid by the schema was refused with 400 for a reason that is not "
        f"one of the ledger's state-relative refusals: {message}"
    )
