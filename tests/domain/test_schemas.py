"""The JSON Schemas of :mod:`relmark.domain.schemas`: what a service may send."""

from __future__ import annotations

from relmark.domain import json_schemas


def test_json_schemas_describe_what_a_service_may_send() -> None:
    """Written out from the models' fields: a Transaction needs id, customer, time and amount
    (a refund is optional) and nothing else; a Referral's status is one of the five states
    of its state machine, ``invited`` by default; a Money amount is a number or a numeric
    string in validation mode (the JSON relmark writes has strings)."""
    schemas = json_schemas()
    assert set(schemas) >= {"Money", "Transaction", "Referral", "Partner"}
    transaction = schemas["Transaction"]
    assert transaction["required"] == ["id", "customer_id", "at", "amount"]
    assert transaction["additionalProperties"] is False
    assert "refunded" in transaction["properties"]
    referral = schemas["Referral"]
    assert referral["$defs"]["ReferralStatus"]["enum"] == [
        "invited",
        "signed_up",
        "qualified",
        "rewarded",
        "rejected",
    ]
    assert referral["properties"]["status"]["default"] == "invited"
    assert schemas["Money"]["required"] == ["amount", "currency"]
    assert schemas["Money"]["properties"]["amount"]["anyOf"] == [
        {"type": "number"},
        {"type": "string"},
    ]
    assert schemas["Partner"]["required"] == ["id", "name", "role"]
