"""What a person reads on a page of the site: its tables and its texts, from the HTML served
(the standard library's parser, no template internals), to hold the API's figures against."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        # ASCII spaces only: the no-break spaces inside amounts (« 1 234,56 € ») are kept.
        return re.sub(r"[ \t\n\r\f]+", " ", " ".join(parts)).strip(" ")

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def all(self, tag: str | None = None, cls: str | None = None):
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                    yield child
                yield from child.all(tag, cls)

    def first(self, tag=None, cls=None):
        return next(self.all(tag, cls), None)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def table(page: Node, caption: str) -> Node | None:
    """The table whose caption begins with ``caption``."""
    return next(
        (t for t in page.all("table") if (t.first("caption") or Node("", {})).text.startswith(caption)), None
    )


def rows(page: Node, caption: str) -> list[dict[str, str]]:
    """The body rows of a table, each as {data-label (or the row header): text}."""
    found = table(page, caption)
    if found is None:
        return []
    body = found.first("tbody")
    out = []
    for tr in body.all("tr"):
        cells = [c for c in tr.children if isinstance(c, Node) and c.tag in ("td", "th")]
        out.append({c.attrs.get("data-label") or ("th" if c.tag == "th" else ""): c.text for c in cells})
    return out


AMOUNT = re.compile(r"-?\d{1,3}(?:\u202f\d{3})*,\d{2}\u00a0€")


def amounts(text: str) -> list[str]:
    """The amounts written in a text, in order (« 1 234,56 € »)."""
    return AMOUNT.findall(text)
