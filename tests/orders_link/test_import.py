from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orders_link.models import Order, OrderEvent, Shipment
from tests.orders_link.helpers import FIXTURES

pytestmark = pytest.mark.django_db

CSV = (FIXTURES / "orders.csv").read_text()


def run(path, fmt):
    out, err = StringIO(), StringIO()
    try:
        call_command(
            "import_orders", str(path), format=fmt, no_progress=True, stdout=out, stderr=err
        )
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_csv_import_reports_each_bad_row_and_reruns_without_duplicates(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    _out, err, exc = run(path, "csv")
    assert exc is not None and "3 rows were not imported" in str(exc)
    assert "line 4: placed_at: 'not a date' is not an ISO-8601 date and time" in err
    assert "line 5: status: 'flying' is not one of" in err
    assert "line 6: total: 'abc' is not an amount" in err
    assert sorted(Order.objects.values_list("number", flat=True)) == ["A-1", "A-5"]
    assert Shipment.objects.filter(order__number="A-1").count() == 2
    assert Order.objects.get(number="A-1").contact.identities.count() == 2

    run(path, "csv")
    assert Order.objects.count() == 2
    assert Shipment.objects.count() == 2
    assert OrderEvent.objects.filter(kind="placed").count() == 2


def test_json_import_with_errors_by_item(tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(
        json.dumps(
            {
                "orders": [
                    {
                        "number": "J-1",
                        "placed_at": "2026-03-01T10:00:00Z",
                        "email": "j@example.test",
                    },
                    {"number": "J-2"},
                    "nonsense",
                ]
            }
        )
    )
    out, err, exc = run(path, "json")
    assert exc is not None
    assert "order 2 (J-2): placed_at: required" in err
    assert "order 3: order: expected an object" in err
    assert "3 rows: 1 created; 2 errors." in out
    assert list(Order.objects.values_list("number", flat=True)) == ["J-1"]


def test_unreadable_files_are_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_orders", str(bad), format="json", no_progress=True)
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("order,when\n1,2\n")
    with pytest.raises(CommandError, match="header row"):
        call_command("import_orders", str(csv_path), format="csv", no_progress=True)
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_orders", str(tmp_path / "missing.csv"), format="csv", no_progress=True)


def test_the_progress_bar_is_drawn(tmp_path, capsys):
    path = tmp_path / "orders.json"
    path.write_text(json.dumps([{"number": "P-1", "placed_at": "2026-03-01T10:00:00Z"}]))
    call_command("import_orders", str(path), format="json")
    assert "orders: 100%" in capsys.readouterr().err
