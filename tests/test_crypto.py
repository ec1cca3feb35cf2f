"""ID and phone numbers at rest: ciphertext in the tables, found through blind indexes."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from assist.core import crypto
from assist.residents import services
from tests.conftest import id_number


def test_id_and_phone_columns_hold_ciphertext(api, resident_data, db):
    number, spouse = id_number(), id_number(birth=dt.date(1947, 3, 3), male=False)
    api("caseworker").post("/api/v1/residents", json=resident_data(
        id_number=number, phone="13904731234", emergency_contact_phone="13904735678",
        household=[{"relation": "配偶", "name": "李秀英", "id_number": spouse, "phone": "13904739999"}]))
    row = db.session.execute(sa.text(
        "SELECT id_number, phone, emergency_contact_phone, id_number_bidx, id_tail_bidx, phone_bidx FROM resident")).one()
    member = db.session.execute(sa.text("SELECT id_number, phone FROM household_member")).one()
    stored = list(row) + list(member)
    for value in stored[:3] + stored[6:]:
        assert value.startswith(crypto.PREFIX)
    everything = " ".join(stored)
    for secret in (number, number[-4:], number[6:14], spouse, "13904731234", "1234", "13904735678", "13904739999"):
        assert secret not in everything, secret
    # Through the model the clear values come back.
    resident = db.session.scalars(sa.select(services.Resident)).one()
    assert resident.id_number == number and resident.phone == "13904731234"
    assert resident.household[0].id_number_enc == spouse


def test_the_same_value_encrypts_differently_each_time_and_decrypts_back(app):
    one, two = crypto.encrypt("150303194405060011"), crypto.encrypt("150303194405060011")
    assert one != two
    assert crypto.decrypt(one) == crypto.decrypt(two) == "150303194405060011"


def test_tampered_or_foreign_ciphertext_does_not_decrypt(app):
    token = crypto.encrypt("13904731234")
    raw = bytearray(token[len(crypto.PREFIX):].encode())
    raw[-3] = ord("A") if raw[-3] != ord("A") else ord("B")
    with pytest.raises((InvalidTag, ValueError)):
        crypto.decrypt(crypto.PREFIX + raw.decode())
    with pytest.raises(ValueError):
        crypto.decrypt("13904731234")


def test_blind_indexes_are_keyed_and_separate_by_purpose(app):
    digest = crypto.blind_index("150303194405060011", "ric")
    assert digest == crypto.blind_index("150303194405060011", "ric")
    assert digest != crypto.blind_index("150303194405060011", "phone")
    assert "150303194405060011" not in digest and len(digest) == 32
    app.config["DATA_KEY"] = "another-data-key-" + "z" * 32
    assert crypto.blind_index("150303194405060011", "ric") != digest


def test_blind_index_lookups_find_the_resident(make_resident, db):
    number = id_number()
    resident = make_resident(id_number=number, phone="13904731234")
    other = make_resident(phone="13600000000")
    assert services.find_by_id_number(number).id == resident.id
    assert services.find_by_id_number(id_number()) is None
    for q in (number, number[-4:], number[-6:], "13904731234", "1234"):
        stmt = sa.select(services.Resident.id).where(services._search_clause(q))
        assert db.session.scalars(stmt).all() == [resident.id], q
    assert other.id != resident.id


def test_masks(app):
    assert crypto.mask_id_number("15030319440506001X") == "150303********001X"
    assert crypto.mask_id_number(None) is None
    assert crypto.mask_phone("13904731234") == "139****1234"
    assert crypto.mask_phone("") == ""
