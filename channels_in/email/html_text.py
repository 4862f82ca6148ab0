"""HTML mail -> plain prose, and the reply of an HTML mail without its quoted history.

The text keeps paragraphs, line breaks, list items and table cells as plain prose: no
Markdown (no ``#`` headings, ``|`` pipes, ``[text](url)`` links or ``* * *`` rules).

For quote separation the same rendering marks the structures mail clients wrap the quoted
history in: a cited ``<blockquote type="cite">`` becomes ">"-quoted lines; Gmail's
``gmail_quote``, Yahoo's ``yahoo_quoted``, Thunderbird's ``moz-cite-prefix`` and Outlook's
reply header block (``divRplyFwdMsg``, ``OLK_SRC_BODY_SECTION``, a ``border-top`` separator)
become an "Original Message" rule, ``<hr>`` a rule line that cuts when a header block follows;
then the plain-text separator decides, so the same rules hold for both kinds. A block that a
rule and a header block open, under the reply, is the quoted mail whole: a short line before
its rule inside it (the sender's name the client put there) goes with it.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from channels_in.email.quotes import Split, next_text, rule_then_header, split_reply

_BLOCK = {
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
    "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead",
    "tfoot", "tr", "ul",
}  # fmt: skip
_SKIP = {"head", "script", "style", "title", "meta", "link", "template", "noscript", "xml"}
_SPACES = re.compile(r"[ \t\r\n\f\u00a0\u200b]+")
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote")
_QUOTE_IDS = ("divrplyfwdmsg", "olk_src_body_section", "appendonsend", "mail-editor-reference")
_BORDER_TOP = re.compile(r"border-top(-style)?\s*:[^;]*solid", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# The line a structural quote marker becomes: the plain-text separator cuts at it.
RULE = "-----Original Message-----"
# The line ``<hr>`` becomes: a cut when a header block follows it, else dropped from the text.
HR_MARK = "_" * 32
_FORWARD = re.compile(
    r"(Forwarded message|Message transf[ée]r[ée]|Weitergeleitete Nachricht|"
    r"Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht|Videresendt meddelelse|"
    r"Vidarebefordrat meddelande|Пересылаемое сообщение|转发的邮件|転送されたメッセージ|"
    r"Begin forwarded message)",
    re.IGNORECASE,
)


def _document(html: str):
    if not html or not html.strip():
        return None
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        return lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _quote_container(element) -> bool:
    if element.tag == "blockquote":
        return False  # quoted as ">" lines
    classes = (element.get("class") or "").lower()
    if any(name in classes for name in _QUOTE_CLASSES):
        return True
    if (element.get("id") or "").lower() in _QUOTE_IDS:
        return True
    style = element.get("style") or ""
    return element.tag == "div" and bool(_BORDER_TOP.search(style)) and "padding" in style


# The most a line of text inside a quote's block, before its rule, may hold and still go with
# the quote (a name, "Sent from ...", a greeting's end), rather than be the reply's own text.
_SIGN_OFF_CHARS = 40


def _tag(element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1].split(":")[-1].lower()


def _rule_opened_block(element) -> bool:
    """A block whose own rule (``<hr>``) is followed by a mail header block, with at most a
    short line of text before the rule: the quoted mail, the line included."""
    children = [child for child in element if _tag(child)]
    rule = next((i for i, child in enumerate(children) if _tag(child) == "hr"), None)
    if rule is None:
        return False
    before = children[:rule]
    if any(_tag(child) in _BLOCK for child in before):
        return False
    text = (element.text or "") + "".join(
        child.text_content() + (child.tail or "") for child in before
    )
    if len(_SPACES.sub(" ", text).strip()) > _SIGN_OFF_CHARS:
        return False
    after = _Renderer(quotes=False)
    after._text(children[rule].tail)
    for child in children[rule + 1 :]:
        after.walk(child)
    lines = after.result().split("\n")
    return bool(lines) and rule_then_header(lines, next_text(lines, 0))


class _Renderer:
    def __init__(self, *, quotes: bool) -> None:
        self.quotes = quotes
        self.lines: list[str] = [""]
        self.depth = 0

    def _text(self, text: str | None, *, pre: bool = False) -> None:
        if not text:
            return
        if pre:
            parts = text.split("\n")
            self.lines[-1] += parts[0]
            for part in parts[1:]:
                self.newline()
                self.lines[-1] += part
            return
        text = _SPACES.sub(" ", text)
        if not self.lines[-1].strip():
            text = text.lstrip()
        self.lines[-1] += text

    def newline(self) -> None:
        self.lines.append("")

    def block(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def paragraph(self) -> None:
        self.block()
        if len(self.lines) > 1 and self.lines[-2].strip():
            self.lines.append("")

    def rule(self) -> None:
        self.paragraph()
        self.lines[-1] = RULE
        self.lines.append("")

    def walk(self, element, *, pre: bool = False) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].split(":")[-1].lower()
        if not tag or tag in _SKIP:
            self._text(element.tail, pre=pre)
            return
        container = self.quotes and (
            _quote_container(element)
            or (
                tag in _BLOCK
                and any(line.strip() for line in self.lines)  # under the reply
                and _rule_opened_block(element)
            )
        )
        if container and not _FORWARD.search(element.text_content()[:300]):
            self.rule()
        # A cited blockquote (Apple Mail, Thunderbird) is quoted history; other blockquotes are
        # indentation unless a quote header introduces them, which the text rules then find.
        quoted = self.quotes and tag == "blockquote" and (element.get("type") or "") == "cite"
        if tag == "br":
            self.newline()
        elif tag == "hr":
            self.paragraph()
            if self.quotes:  # a rule: the quote starts here if a header block follows it
                self.lines[-1] = HR_MARK
                self.lines.append("")
        elif tag in {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote"}:
            self.paragraph()
        elif tag in _BLOCK:
            self.block()
        if tag == "li":
            self.lines[-1] += "• "
        if quoted:
            start = len(self.lines) - 1
        self._text(element.text, pre=pre or tag == "pre")
        for child in element:
            self.walk(child, pre=pre or tag == "pre")
            if tag == "tr" and isinstance(child.tag, str) and child.tag in {"td", "th"}:
                self.lines[-1] += "  "
        if quoted:
            filled = [i for i in range(start, len(self.lines)) if self.lines[i].strip()]
            if filled:
                for index in range(filled[0], filled[-1] + 1):
                    line = self.lines[index]
                    self.lines[index] = "> " + line if line.strip() else ">"
        if tag in {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote"}:
            self.paragraph()
        elif tag in _BLOCK:
            self.block()
        self._text(element.tail, pre=pre)

    def result(self) -> str:
        lines = [line.rstrip() for line in self.lines]
        text = "\n".join(lines)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip("\n")


def _render(html: str, *, quotes: bool) -> str:
    document = _document(html)
    if document is None:
        return ""
    body = document.find("body")
    renderer = _Renderer(quotes=quotes)
    renderer.walk(body if body is not None else document)
    return renderer.result()


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML mail: paragraphs, line breaks, bullets; no markup."""
    return _render(html, quotes=False)


def split_html(html: str) -> Split:
    """The reply of an HTML mail as text, its quoted history and signature apart."""
    marked = _render(html, quotes=True)
    split = split_reply(marked)
    if not split.reply.strip() and split.quoted:
        # Only quoted matter (a quote is the message, or a structure misread): keep it all.
        return Split(reply=html_to_text(html), quoted="", signature="")
    if HR_MARK in split.reply:  # rules that cut nothing: decoration, not text
        lines = [line for line in split.reply.split("\n") if line != HR_MARK]
        reply = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
        return Split(reply=reply, quoted=split.quoted, signature=split.signature)
    return split
