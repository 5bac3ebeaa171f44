"""Every URL pattern of the project, from the resolver, with a path to request it.

The three generated families (crawl, access matrix, form fuzz) start from here, so that a
pattern added tomorrow is covered without anyone adding it to a list of URLs.
"""

import re
import uuid
from dataclasses import dataclass, field
from re import _parser as sre_parse  # the stdlib's own regex parser: samples for re_path()

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import (
    IntConverter,
    PathConverter,
    SlugConverter,
    StringConverter,
    UUIDConverter,
)
from django.urls.resolvers import RoutePattern

# One generated value per converter: a value of the right shape that names no real object.
# A converter missing here fails the crawl (a new converter needs its own sample).
SAMPLES = {
    UUIDConverter: lambda: uuid.uuid4(),
    IntConverter: lambda: 987_654_321,
    SlugConverter: lambda: "inconnu-42",
    StringConverter: lambda: "inconnu",
    PathConverter: lambda: "inconnu/42",
}

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its reversible name (or its route when it has none) and its parts."""

    name: str
    route: str
    parts: tuple = field(repr=False)
    pattern: URLPattern = field(repr=False, compare=False)

    @property
    def converters(self) -> dict:
        found = {}
        for part in self.parts:
            if isinstance(part, RoutePattern):
                found.update(part.converters)
        return found

    @property
    def namespace(self) -> str:
        return self.name.split(":")[0] if ":" in self.name else ""

    @property
    def view_module(self) -> str:
        view = self.pattern.callback
        view = getattr(view, "view_class", None) or getattr(view, "__wrapped__", None) or view
        return getattr(view, "__module__", "")

    @property
    def is_admin(self) -> bool:
        return self.namespace == "admin"

    @property
    def is_api(self) -> bool:
        """The API for apps (api/v1/) and allauth's sign-in API for apps (api/auth/): they
        answer with JSON and a token, never with a redirect to the login page."""
        return self.route.startswith("api/")

    @property
    def is_allauth(self) -> bool:
        return self.view_module.startswith("allauth.")

    def path(self, **values) -> str:
        """The path with ``values`` for its parameters, generated values for the others."""
        out = []
        for part in self.parts:
            if isinstance(part, RoutePattern):
                out.append(_PARAM.sub(lambda m, p=part: _fill(p, m, values), str(part)))
            else:
                out.append(regex_sample(part.regex.pattern))
        return "/" + "".join(out)


def _fill(part: RoutePattern, match, values) -> str:
    name = match["name"]
    converter = part.converters[name]
    if name in values:
        return converter.to_url(values[name])
    try:  # a converter that refines a known one (django-ninja's uuidstr is a uuid) shares its sample
        make = next(SAMPLES[kind] for kind in type(converter).__mro__ if kind in SAMPLES)
    except StopIteration:
        raise AssertionError(
            f"pas de valeur générée pour le convertisseur {type(converter).__name__} "
            f"({part}) : ajoutez-la à SAMPLES"
        ) from None
    return converter.to_url(make())


def _walk(resolver: URLResolver, parts: tuple, namespace: str):
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            inner = namespace
            if item.namespace:
                inner = f"{namespace}:{item.namespace}" if namespace else item.namespace
            yield from _walk(item, parts + (item.pattern,), inner)
        else:
            route_parts = parts + (item.pattern,)
            route = "".join(str(p) for p in route_parts)
            if item.name:
                name = f"{namespace}:{item.name}" if namespace else item.name
            else:
                name = f"{namespace}:<{route}>" if namespace else f"<{route}>"
            yield Route(name=name, route=route, parts=route_parts, pattern=item)


def all_routes() -> list[Route]:
    """Every pattern the resolver knows, the project's, allauth's and the admin's."""
    return list(_walk(get_resolver(), (), ""))


def check_resolves(route: Route, path: str) -> None:
    """The path we built reaches the pattern it was built from (not an earlier one)."""
    match = resolve(path.split("?")[0])
    # Django drops a regex's leading "^" when it joins the routes of nested patterns.
    assert match.route.replace("^", "") == route.route.replace("^", ""), (
        f"{path} mène à {match.route!r}, pas à {route.route!r}"
    )


# --- a sample string for a regular expression (re_path patterns) ------------------------


def regex_sample(pattern: str) -> str:
    return "".join(_sample(sre_parse.parse(pattern)))


def _sample(parsed) -> list[str]:
    out = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "SUBPATTERN":
            out.extend(_sample(arg[-1]))
        elif name == "BRANCH":
            out.extend(_sample(arg[1][0]))
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, _high, item = arg
            out.extend(_sample(item) * max(low, 1))
        elif name == "IN":
            out.append(_one_of(arg))
        elif name == "ANY":
            out.append("a")
        elif name == "CATEGORY":
            out.append("1" if "DIGIT" in str(arg) else "a")
        elif name == "AT":
            continue
        else:
            raise AssertionError(f"motif non géré dans {parsed}: {name}")
    return out


def _one_of(items) -> str:
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0])
    if name == "CATEGORY":
        return "1" if "DIGIT" in str(arg) else "a"
    return "a"
