from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chatbot.nlu.data import DATA_DIR


def test_chatbot_ask_json(db):
    out = StringIO()
    call_command("chatbot_ask", "Bonjour, où est ma commande 48213 ?", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert set(answer) == {"intent", "confidence", "language", "slots", "reply"}
    assert answer["intent"] == "order_status"
    assert answer["language"] == "fr"
    assert answer["slots"] == {"order_number": "48213"}
    assert "numéro de commande" in answer["reply"]


def test_chatbot_ask_text_and_refusal(db):
    out = StringIO()
    call_command("chatbot_ask", "I want to talk to a human", stdout=out)
    assert "intent:     contact_human" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("chatbot_ask", "   ")


def test_chatbot_eval_json(db, tmp_path):
    path = tmp_path / "few.csv"
    path.write_text(
        "text,intent\nwhere is my order 1234?,order_status\nqwpoeiru zmxn,out_of_scope\n"
        "je veux parler à un humain,contact_human\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("chatbot_eval", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert {"accuracy", "per_intent", "oos_recall", "predictions"} <= set(result)
    assert result["accuracy"] == 1.0 and result["oos_recall"] == 1.0
    assert set(result["predictions"][0]) == {"text", "expected", "predicted", "confidence"}


def test_chatbot_eval_text_on_the_evaluation_set(db):
    out = StringIO()
    call_command("chatbot_eval", str(DATA_DIR / "eval.csv"), stdout=out)
    text = out.getvalue()
    assert "accuracy:" in text and "out_of_scope recall:" in text and "confusion" in text


@pytest.mark.parametrize(
    "content,message",
    [
        ("text,label\nhello,greeting\n", "columns text,intent"),
        ("text,intent\nhi,nonsense\n", "unknown intent"),
    ],
)
def test_chatbot_eval_refuses_bad_files(db, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("chatbot_eval", str(path))
    with pytest.raises(CommandError, match="No such file"):
        call_command("chatbot_eval", str(tmp_path / "missing.csv"))
