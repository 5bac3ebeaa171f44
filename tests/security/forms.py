"""The forms of a page, read with the standard library's HTML parser."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "textarea" or "submit"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False


@dataclass
class Form:
    action: str  # a path on this site
    enctype: str
    method: str = "post"
    fields: list[Field] = field(default_factory=list)

    @property
    def signature(self) -> tuple:
        return (self.method, self.action, tuple(sorted({f.name for f in self.fields})))

    @property
    def csrf_token(self) -> str:
        return next((f.value for f in self.fields if f.name == "csrfmiddlewaretoken"), "")


class _Parser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self.form, self.select, self.textarea = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = urljoin("http://testserver" + self.page, a.get("action", "") or self.page)
            parts = urlsplit(action)
            if parts.netloc == "testserver":
                method = a.get("method", "get").lower()
                # A GET form's query string replaces the action's own.
                query = f"?{parts.query}" if parts.query and method == "post" else ""
                self.form = Form(
                    action=parts.path + query,
                    enctype=a.get("enctype", ""),
                    method="post" if method == "post" else "get",
                )
                self.forms.append(self.form)
            return
        if self.form is None or "disabled" in a:  # a browser sends no disabled field
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                kind = "submit"
            self.form.fields.append(Field(name, kind, a.get("value", ""), checked="checked" in a))
        elif tag == "button" and name:
            self.form.fields.append(Field(name, "submit", a.get("value", "")))
        elif tag == "select" and name:
            self.select = Field(name, "select")
            self.form.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            self.select.options.append(a.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = Field(name, "textarea")
            self.form.fields.append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def page_forms(html: str, page: str) -> list[Form]:
    """Every form of the page that goes to this site, GET and POST."""
    parser = _Parser(page)
    parser.feed(html)
    return parser.forms
