from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from orders_link.connectors.neutral import PayloadError, parse_order
from orders_link.models import Store
from orders_link.services import order_upsert

CSV_ORDER_FIELDS = [
    "number",
    "placed_at",
    "email",
    "phone",
    "customer_name",
    "status",
    "total",
    "currency",
    "postcode",
    "country",
    "updated_at",
]
CSV_SHIPMENT_FIELDS = {
    "carrier": "carrier",
    "tracking_number": "tracking_number",
    "tracking_url": "tracking_url",
    "shipment_status": "status",
    "shipped_at": "shipped_at",
    "promised_date": "promised_date",
    "estimated_delivery": "estimated_delivery",
    "delivered_at": "delivered_at",
}


class Command(BaseCommand):
    help = (
        "Import orders from a CSV file (one row per order or per shipment, header row: "
        f"{', '.join(CSV_ORDER_FIELDS + list(CSV_SHIPMENT_FIELDS))}) or a JSON file (a list of "
        "orders in the neutral format of orders_link.connectors.neutral). Re-running updates "
        "what exists and never duplicates it; every bad row is reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the file, or - for standard input")
        parser.add_argument("--format", choices=["csv", "json"], required=True)
        parser.add_argument("--store", default="import", help="slug of the store (created if new)")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, **options):
        store, _ = Store.objects.get_or_create(
            slug=options["store"],
            defaults={"name": options["store"], "connector": Store.Connector.IMPORT},
        )
        try:
            if options["file"] == "-":
                content = sys.stdin.read()
            else:
                content = Path(options["file"]).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        rows = list(_csv_rows(content) if options["format"] == "csv" else _json_rows(content))
        outcomes: Counter = Counter()
        errors: list[str] = []
        for where, raw in tqdm(
            rows, desc="orders", unit="row", disable=options["no_progress"], file=sys.stderr
        ):
            try:
                _, outcome = order_upsert(store=store, data=parse_order(raw))
            except PayloadError as exc:
                errors.append(f"{where}: {exc}")
                continue
            outcomes[outcome] += 1
        for error in errors:
            self.stderr.write(error)
        summary = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items()))
        self.stdout.write(
            f"{len(rows)} rows: {summary or 'nothing imported'}; {len(errors)} errors."
        )
        if errors:
            raise CommandError(f"{len(errors)} rows were not imported (see above).")


def _csv_rows(content: str) -> Iterator[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(content.splitlines())
    if not reader.fieldnames or "number" not in reader.fieldnames:
        raise CommandError("the CSV file needs a header row with at least number and placed_at")
    unknown = set(reader.fieldnames) - set(CSV_ORDER_FIELDS) - set(CSV_SHIPMENT_FIELDS)
    if unknown:
        raise CommandError(f"unknown CSV columns: {', '.join(sorted(unknown))}")
    for row in reader:
        where = f"line {reader.line_num}"
        if None in row:
            yield where, {"__error__": "more values than columns"}
            continue
        order: dict[str, Any] = {key: row.get(key) or None for key in CSV_ORDER_FIELDS}
        shipment = {
            target: row.get(source) or None for source, target in CSV_SHIPMENT_FIELDS.items()
        }
        if shipment.get("tracking_number") or shipment.get("carrier"):
            order["shipments"] = [shipment]
        yield where, order


def _json_rows(content: str) -> Iterator[tuple[str, Any]]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise CommandError(f"not valid JSON: {exc}") from exc
    if isinstance(data, dict) and "orders" in data:
        data = data["orders"]
    if not isinstance(data, list):
        raise CommandError('the JSON file must hold a list of orders or {"orders": [...]}')
    for index, item in enumerate(data, start=1):
        number = item.get("number") if isinstance(item, dict) else None
        yield (f"order {index}" + (f" ({number})" if number else "")), item
