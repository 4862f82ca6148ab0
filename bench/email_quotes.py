"""Quote separation scores on the public suites of mailgun/talon and zapier/email-reply-parser.

Each suite is read as data from its folder (not copied here): talon's plain-text and HTML test
cases are run with the candidate in place of talon's extractor; zapier's mails are checked
against the expectations its test file states, restated below as what the visible reply must
and must not contain. Candidates: this product's separator (channels_in.email.quotes), and the
maintained libraries mail-parser-reply and quotequail.

    python bench/email_quotes.py [--suites ../shared/corpus/email] [--verbose]

Talon's tests of its own internals (line markers, pre-processing, its HTML serialisation) have
no counterpart in another implementation: they are listed as not applicable, not scored.
"""

from __future__ import annotations

import argparse
import ast
import email
import email.iterators
import io
import os
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import Mock, patch

BENCH_RUN = {"small": [], "full": []}
REPO = Path(__file__).resolve().parents[1]
DEFAULT_SUITES = REPO.parent / "shared" / "corpus" / "email"
if not DEFAULT_SUITES.is_dir():
    DEFAULT_SUITES = Path("/work/shared/corpus/email")

_WHITESPACE = re.compile(r"\s")
_QUOTE_PREFIX = re.compile(r"^(\s*>)+", re.MULTILINE)
# Tests of talon's internals or of its exact HTML serialisation: not a reply/quote question.
TALON_INTERNAL = {
    "test_mark_message_lines",
    "test_process_marked_lines",
    "test_preprocess",
    "test_split_email",
    "test_validate_output_html",
    "test_bad_html",
    "test_remove_namespaces",
}


# Talon's HTML fixture files (html_replies/ and the named fixtures beside them).
HTML_FIXTURE_TESTS = {
    "test_gmail_reply",
    "test_mail_ru_reply",
    "test_hotmail_reply",
    "test_ms_outlook_2003_reply",
    "test_ms_outlook_2007_reply",
    "test_ms_outlook_2010_reply",
    "test_thunderbird_reply",
    "test_windows_mail_reply",
    "test_yandex_ru_reply",
    "test_OLK_SRC_BODY_SECTION_stripped",
    "test_reply_separated_by_hr",
    "test_reply_quotations_share_block",
}


class _Failed(AssertionError):
    pass


@dataclass
class Score:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.passed) + len(self.failed)

    def line(self) -> str:
        share = 100 * len(self.passed) / self.total if self.total else 0.0
        return f"{len(self.passed):3d}/{self.total:<3d} {share:5.1f}%"


_HTML_TAG = re.compile(r"<(!doctype|html|body|div|p|br|span|blockquote|table|b|font|hr)\b", re.I)


def _html_text(value: str) -> str:
    """Text of HTML; a candidate's text answer (which may hold "<a@b>") is left as it is."""
    from channels_in.email.html_text import html_to_text

    return html_to_text(value) if _HTML_TAG.search(value) else value


def _strip_imports(source: str) -> ast.Module:
    """The test module's own imports (talon, nose, six, its fixtures) are provided here."""
    tree = ast.parse(source)
    tree.body = [n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom)]
    return tree


def _run_module(path: Path, namespace: dict, score: Score, compare: Callable) -> None:
    def eq_(expected, actual, message=None):
        if not compare(expected, actual):
            raise _Failed(f"expected {expected!r}\n     got {actual!r}")

    def ok_(value, message=None):
        if not value:
            raise _Failed(message or "not true")

    def assert_false(value, message=None):
        if value:
            raise _Failed(message or "not false")

    namespace.update(eq_=eq_, ok_=ok_, assert_true=ok_, assert_false=assert_false)
    code = compile(_strip_imports(path.read_text(encoding="utf-8")), str(path), "exec")
    cwd = os.getcwd()
    os.chdir(path.parent)  # the tests open their fixtures by relative paths
    try:
        exec(code, namespace)  # noqa: S102  (the suite's own test module, read as data)
        for name, test in list(namespace.items()):
            if not name.startswith("test_") or not callable(test):
                continue
            if name in TALON_INTERNAL:
                score.skipped.append(name)
                continue
            try:
                outcome = test()
                if isinstance(outcome, types.GeneratorType):
                    for index, (check, *args) in enumerate(outcome):
                        case = f"{name}[{Path(str(args[-1]).split(' for ')[-1]).name or index}]"
                        try:
                            check(*args[:2])
                            score.passed.append(case)
                        except _Failed as exc:
                            score.failed.append(f"{case}: {exc}")
                    continue
                score.passed.append(name)
            except _Failed as exc:
                score.failed.append(f"{name}: {exc}")
            except Exception as exc:  # the candidate crashed on the case
                score.failed.append(f"{name}: {type(exc).__name__}: {exc}")
    finally:
        os.chdir(cwd)


def _fake_quotations(plain: Callable[[str], str], html: Callable[[str], str]):
    module = types.SimpleNamespace(
        extract_from_plain=plain,
        extract_from_html=html,
        extract_from=lambda body, content_type="text/plain": (
            html(body) if content_type == "text/html" else plain(body)
        ),
        MAX_LINES_COUNT=1000,
        html_document_fromstring=None,
    )
    return module


def talon_fixture_layout(suites: Path) -> Path:
    """Talon's tests open tests/fixtures/...: a view of the shared folders in that layout."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="talon-suite-"))
    fixtures = root / "tests" / "fixtures"
    fixtures.mkdir(parents=True)
    talon = suites / "talon-suite"
    (fixtures / "html_replies").symlink_to(talon / "html_replies")
    (fixtures / "standard_replies").symlink_to(suites / "replies")
    for name in ("OLK_SRC_BODY_SECTION.html", "reply-separated-by-hr.html"):
        (fixtures / name).symlink_to(talon / name)
    (fixtures / "reply-quotations-share-block.eml").symlink_to(
        talon / "reply-quotations-share-block.eml"
    )
    for name in ("text_quotations_test.py", "html_quotations_test.py"):
        (root / name).symlink_to(talon / name)
    return root


def talon_scores(
    suites: Path, plain: Callable[[str], str], html: Callable[[str], str]
) -> tuple[Score, Score]:
    root = talon_fixture_layout(suites)
    fixtures = root / "tests" / "fixtures"

    def read(name: str) -> str:
        return (fixtures / name).read_text(encoding="utf-8")

    six = types.SimpleNamespace(text_type=str)
    common = {
        "patch": patch,
        "Mock": Mock,
        "six": six,
        "StringIO": io.StringIO,
        "os": os,
        "email": email,
        "re": re,
        "STANDARD_REPLIES": "tests/fixtures/standard_replies",
        "OLK_SRC_BODY_SECTION": read("OLK_SRC_BODY_SECTION.html"),
        "REPLY_SEPARATED_BY_HR": read("reply-separated-by-hr.html"),
        "REPLY_QUOTATIONS_SHARE_BLOCK": read("reply-quotations-share-block.eml"),
    }

    def same_text(expected, actual) -> bool:
        return expected == actual

    def same_html(expected, actual) -> bool:
        if not isinstance(expected, str) or not isinstance(actual, str):
            return expected == actual
        return _WHITESPACE.sub("", _html_text(expected)) == _WHITESPACE.sub("", _html_text(actual))

    plain_score, html_score = Score(), Score()
    quotations = _fake_quotations(plain, html)
    _run_module(
        root / "text_quotations_test.py",
        {**common, "quotations": quotations},
        plain_score,
        same_text,
    )
    utils = types.SimpleNamespace(html_to_text=_html_text)
    _run_module(
        root / "html_quotations_test.py",
        {**common, "quotations": quotations, "u": utils},
        html_score,
        same_html,
    )
    return plain_score, html_score


# zapier/email-reply-parser's expectations (test/test_email_reply_parser.py), restated as what
# the visible reply (without the quoted history and without the signature) must contain and
# must not contain. "exact" is the whole visible reply.
ZAPIER_CASES: dict[str, dict] = {
    "email_1_1": {"has": ["folks"], "not": ["riak-users"]},
    "email_1_2": {"has": ["Hi,", "You can list the keys for the bucket"], "not": ["mailing list"]},
    "email_1_3": {"has": ["Oh thanks.", "Having the function would be great."], "not": ["Russell"]},
    "email_1_4": {"has": ["Awesome"], "not": ["Loader"]},
    "email_1_5": {"has": ["One: Here's what I've got.", "It goes on and on"], "not": []},
    "email_1_6": {"has": ["I get"], "not": ["On Tue, Apr 29"]},
    "email_1_7": {"has": [":+1:"], "not": ["Steps 0-2"]},
    "email_1_8": {"has": ["I will reply under this one", "and under this."], "not": []},
    "correct_sig": {"has": ["this is an email with a correct -- signature."], "not": ["rick"]},
    "email_gmail": {"exact": "This is a test for inbox replying to a github message."},
    "email_2_1": {"exact": "Outlook with a reply"},
    "email_2_2": {"exact": "Outlook with a reply directly above line"},
    "email_2_3": {"exact": "Outlook with a reply above headers using unusual format"},
    "email_iPhone": {"has": [], "not": ["Sent from my iPhone"]},
    "email_one_is_not_on": {"has": [], "not": ["On Oct 1, 2012, at 11:55 PM, Dave Tapley wrote:"]},
    "email_partial_quote_header": {
        "has": [
            "On your remote host you can run:",
            "telnet 127.0.0.1 52698",
            "This should connect to TextMate",
        ],
        "not": [],
    },
    "email_headers_no_delimiter": {"exact": "And another reply!"},
    "greedy_on": {"has": ["On your remote host"], "not": ["On 9 Jan 2014"]},
    "email_sig_delimiter_in_middle_of_line": {
        "has": ["-- this is not a signature.", "kthxbai"],
        "not": [],
    },
    "pathological": {"has": [], "not": []},
}


def zapier_scores(suites: Path, visible: Callable[[str], str]) -> Score:
    score = Score()
    folder = suites / "zapier-suite" / "emails"
    for name, expect in ZAPIER_CASES.items():
        path = folder / f"{name}.txt"
        if not path.exists():
            score.skipped.append(name)
            continue
        text = path.read_text(encoding="utf-8")
        try:
            reply = visible(text)
        except Exception as exc:
            score.failed.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        problems = []
        if "exact" in expect and reply.strip() != expect["exact"]:
            problems.append(f"expected {expect['exact']!r}")
        problems += [f"missing {s!r}" for s in expect.get("has", []) if s not in reply]
        problems += [f"kept {s!r}" for s in expect.get("not", []) if s in reply]
        if problems:
            score.failed.append(f"{name}: {'; '.join(problems)}; got {reply[:300]!r}")
        else:
            score.passed.append(name)
    return score


# --- candidates ------------------------------------------------------------------------------


def product_plain(text: str) -> str:
    from channels_in.email.quotes import split_reply

    return split_reply(text).reply


def product_visible(text: str) -> str:
    from channels_in.email.quotes import split_reply

    split = split_reply(text)
    reply = split.reply
    if split.signature and reply.endswith(split.signature):
        reply = reply[: -len(split.signature)]
    return reply.strip()


def product_html(html: str) -> str:
    from channels_in.email.html_text import split_html

    return split_html(html).reply


_MPR_LANGUAGES = ["en", "de", "fr", "it", "es", "nl", "da", "sv", "pl", "ja", "zh", "cs"]


def mpr_plain(text: str) -> str:
    from mailparser_reply import EmailReplyParser

    return EmailReplyParser(languages=_MPR_LANGUAGES).parse_reply(text=text).strip()


def mpr_html(html: str) -> str:
    return mpr_plain(_html_text(html))


def quotequail_plain(text: str) -> str:
    import quotequail

    return "\n".join(part for shown, part in quotequail.quote(text) if shown).strip()


def quotequail_html(html: str) -> str:
    import quotequail

    return "".join(part for shown, part in quotequail.quote_html(html) if shown)


CANDIDATES: dict[str, tuple[Callable, Callable, Callable]] = {
    "helpdesk (channels_in.email.quotes)": (product_plain, product_html, product_visible),
    "mail-parser-reply": (mpr_plain, mpr_html, mpr_plain),
    "quotequail": (quotequail_plain, quotequail_html, quotequail_plain),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", type=Path, default=DEFAULT_SUITES)
    parser.add_argument("--verbose", "-v", action="store_true", help="list every failed case")
    parser.add_argument("--only", help="one candidate (a prefix of its name)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    print(f"suites: {args.suites}")
    print(f"{'candidate':38s} {'talon plain':>16s} {'talon HTML':>16s} {'zapier':>16s}")
    goal_met = True
    plain_share, plain_total, fixtures_missed = 0.0, 0, len(HTML_FIXTURE_TESTS)
    for name, (plain, html, visible) in CANDIDATES.items():
        if args.only and not name.startswith(args.only):
            continue
        talon_plain, talon_html = talon_scores(args.suites, plain, html)
        zapier = zapier_scores(args.suites, visible)
        print(f"{name:38s} {talon_plain.line():>16s} {talon_html.line():>16s} {zapier.line():>16s}")
        if name.startswith("helpdesk"):
            share = len(talon_plain.passed) / max(talon_plain.total, 1)
            fixtures = [f for f in talon_html.failed if f.split(":")[0] in HTML_FIXTURE_TESTS]
            goal_met = share >= 0.9 and not fixtures
            plain_share, plain_total = 100 * share, talon_plain.total
            fixtures_missed = len(fixtures)
            for failure in fixtures:
                print(f"  fixture not met: {failure.split(':')[0]}")
        if args.verbose:
            for label, score in (("talon plain", talon_plain), ("talon HTML", talon_html),
                                 ("zapier", zapier)):  # fmt: skip
                for failure in score.failed:
                    print(f"  FAIL {label}: {failure}")
    skipped = sorted(TALON_INTERNAL)
    print(f"not scored (talon internals): {', '.join(skipped)}")
    print(
        "goal (>= 90% of talon plain text, every talon HTML fixture): "
        + ("met" if goal_met else "NOT met")
    )
    import _result

    _result.record(
        goal=">= 90% of talon plain-text cases",
        figure=plain_share,
        unit="%",
        met=plain_share >= 90,
        size=f"{plain_total} cases",
    )
    _result.record(
        goal="every talon HTML fixture",
        figure=fixtures_missed,
        unit="fixtures missed",
        met=fixtures_missed == 0,
        size=f"{len(HTML_FIXTURE_TESTS)} fixtures",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
