"""Who holds which office: role phrases in an article, tied to the person who holds them.

Wire copy names people by their office as often as by name ("il segretario generale della
Nato, Mark Rutte", "Health Secretary Alan Birch"), and a question may ask about the office
alone, in the other language ("What did the NATO Secretary General say?"). Roles are read
from appositions at ingest; a question's role phrase is matched on the role's head (the
office) and its qualifier words (the ministry, the town, the company), both reduced to a
canonical form shared by Italian and English.
"""

from __future__ import annotations

import json
import re

from rag.text import fold

# Office nouns (folded) -> one canonical head per office, Italian and English alike. A UK
# "Health Secretary" is a minister; "secretary general" is its own office.
_HEADS: dict[str, str] = {
    **dict.fromkeys(
        ("segretario generale", "segretaria generale", "secretary general", "general secretary"),
        "secretary general",
    ),
    **dict.fromkeys(("primo ministro", "prime minister", "premier"), "prime minister"),
    **dict.fromkeys(("ministro", "ministra", "minister", "secretary"), "minister"),
    **dict.fromkeys(("sindaco", "sindaca", "mayor", "primo cittadino", "prima cittadina"), "mayor"),
    **dict.fromkeys(("presidente", "president", "chairman", "chairwoman", "chair"), "president"),
    **dict.fromkeys(
        (
            "amministratore delegato",
            "amministratrice delegata",
            "chief executive officer",
            "chief executive",
            "ceo",
            "ad",
        ),
        "chief executive",
    ),
    **dict.fromkeys(("portavoce", "spokesman", "spokeswoman", "spokesperson"), "spokesperson"),
    **dict.fromkeys(("assessore", "assessora", "councillor", "councilor"), "councillor"),
    **dict.fromkeys(("direttore", "direttrice", "director", "head", "capo"), "director"),
    **dict.fromkeys(
        (
            "preside",
            "dirigente scolastico",
            "dirigente scolastica",
            "head teacher",
            "headteacher",
            "headmaster",
            "headmistress",
            "principal",
        ),
        "head teacher",
    ),
    **dict.fromkeys(("prefetto", "prefect"), "prefect"),
    **dict.fromkeys(("comandante", "commander"), "commander"),
    **dict.fromkeys(("capitano", "captain"), "captain"),
    **dict.fromkeys(("leader",), "leader"),
    **dict.fromkeys(("council leader", "leader of the council"), "council leader"),
    # The Italian party or union secretary; an English "Secretary" is a minister (above).
    **dict.fromkeys(("segretario", "segretaria"), "secretary"),
    **dict.fromkeys(("deputato", "deputata", "parlamentare", "mp"), "member of parliament"),
    **dict.fromkeys(("undersecretary",), "junior minister"),
    **dict.fromkeys(("governatore", "governatrice", "governor"), "governor"),
    **dict.fromkeys(("cancelliere", "chancellor"), "chancellor"),
    **dict.fromkeys(("commissario", "commissaria", "commissioner"), "commissioner"),
    **dict.fromkeys(("ambasciatore", "ambasciatrice", "ambassador"), "ambassador"),
    # Italian writes some deputies as one word.
    "vicepresidente": "deputy president",
    "viceministro": "deputy minister",
    "viceministra": "deputy minister",
    "vicesindaco": "deputy mayor",
    "vicesindaca": "deputy mayor",
    "sottosegretario": "junior minister",
    "sottosegretaria": "junior minister",
}
# Words that make another office of the one they precede: the deputy prime minister is not
# the prime minister.
_RANKS: dict[str, str] = {
    **dict.fromkeys(("deputy", "vice", "vicario", "vicaria"), "deputy"),
    **dict.fromkeys(("shadow", "ombra"), "shadow"),
    **dict.fromkeys(("under", "junior", "sotto"), "junior"),
    **dict.fromkeys(("acting", "interim", "facente"), "acting"),
}
# Qualifier words (folded) -> canonical form; any other qualifier word stands for itself
# (a town, a company: "valmarina", "northwind").
_QUALIFIERS: dict[str, str] = {
    **dict.fromkeys(("turismo", "tourism"), "tourism"),
    **dict.fromkeys(("salute", "sanita", "health"), "health"),
    **dict.fromkeys(("difesa", "defence", "defense"), "defence"),
    **dict.fromkeys(("esteri", "foreign"), "foreign"),
    **dict.fromkeys(("economia", "economy", "finanze", "finance", "tesoro", "treasury"), "economy"),
    **dict.fromkeys(("trasporti", "transport", "transportation"), "transport"),
    **dict.fromkeys(("interno", "interni", "interior", "home"), "interior"),
    **dict.fromkeys(("giustizia", "justice"), "justice"),
    **dict.fromkeys(("istruzione", "education"), "education"),
    **dict.fromkeys(("lavoro", "labour", "labor", "employment"), "labour"),
    **dict.fromkeys(("ambiente", "environment"), "environment"),
    **dict.fromkeys(("cultura", "culture"), "culture"),
    **dict.fromkeys(("agricoltura", "agriculture"), "agriculture"),
    **dict.fromkeys(("generale", "general"), "general"),
    **dict.fromkeys(("regionale", "regional"), "regional"),
    **dict.fromkeys(("provinciale", "provincial"), "provincial"),
    **dict.fromkeys(("comunale", "municipal", "city", "town"), "municipal"),
    **dict.fromkeys(("nazionale", "national"), "national"),
    **dict.fromkeys(
        ("scuola", "scuole", "scolastico", "scolastica", "school", "schools"), "school"
    ),
    **dict.fromkeys(("edilizia", "buildings", "building"), "buildings"),
    **dict.fromkeys(("stabilimento", "fabbrica", "plant", "factory"), "plant"),
    **dict.fromkeys(("ricostruzione", "reconstruction"), "reconstruction"),
    **dict.fromkeys(("pronto", "soccorso", "emergency"), "emergency"),
    **dict.fromkeys(("consiglio", "council"), "council"),
    **dict.fromkeys(("club", "squadra", "team"), "club"),
    **dict.fromkeys(("porto", "portuale", "portuali", "port", "ports", "harbour"), "port"),
    **dict.fromkeys(("autorita", "authority"), "authority"),
    **dict.fromkeys(("sindacato", "union", "trade"), "union"),
    **dict.fromkeys(("lavoratori", "workers", "worker"), "workers"),
    **dict.fromkeys(("associazione", "association"), "association"),
    **dict.fromkeys(("consumatori", "consumers", "consumer"), "consumers"),
    **dict.fromkeys(("ospedale", "hospital", "hospitals"), "hospital"),
    **dict.fromkeys(("comitato", "committee"), "committee"),
    **dict.fromkeys(("pendolari", "commuters"), "commuters"),
    **dict.fromkeys(("museo", "museum"), "museum"),
    **dict.fromkeys(("biblioteca", "library"), "library"),
    **dict.fromkeys(("regione", "region"), "regional"),
    **dict.fromkeys(("provincia", "province"), "provincial"),
    **dict.fromkeys(("comune", "municipality"), "municipal"),
    **dict.fromkeys(("consorzio", "consortium"), "consortium"),
    **dict.fromkeys(("rete", "network"), "network"),
    **dict.fromkeys(("forestale", "forestry", "forest"), "forestry"),
    **dict.fromkeys(("stazione", "station"), "station"),
    **dict.fromkeys(("farmacie", "farmacisti", "pharmacies", "pharmacists"), "pharmacies"),
    **dict.fromkeys(("polizia", "police"), "police"),
}
# Qualifiers that say what kind of office, not whose.
_WEAK = frozenset({"general", "regional", "provincial", "municipal", "national"})
# Words of a role phrase that say nothing about the office.
_FILLER = frozenset(
    """
    il lo la i gli le l un una uno di del della dello dell dei degli delle da dal dalla per e ed
    al alla allo all ai agli alle
    the a an of for at to and s affari ministero ministry department office
    """.split()
)
_ARTICLES = frozenset("il lo la i gli le l un una uno the a an".split())
_TOKEN = re.compile(r"[a-z0-9]+")

_HEAD_RX = "|".join(
    sorted((re.escape(h).replace(r"\ ", r"[\s-]+") for h in _HEADS), key=len, reverse=True)
)
_CAPWORD = r"(?:[A-ZÀ-Ö][\w&-]*(?:['’]s)?)"
_QUAL_WORD = r"(?:[\w-]+|[A-ZÀ-Ö][\w&-]*)"
_LINKWORD = (
    r"(?:(?:of|for|at|to|di|del|della|dello|dei|degli|delle|per|al|alla|allo|ai|agli|alle)\s+"
    r"|(?:dell|all)['’]\s*)"
)
# Italian puts adjectives after the office: 'direttrice generale', 'assessore regionale',
# 'commissario straordinario', 'amministratore unico'.
_ROLE_ADJ = r"(?:\s+[a-zà-ÿ]+(?:ale|ali|ario|aria|ivo|iva|ico|ica|ato|ata|unico|unica))"
# "[NATO] Secretary General [of the Alliance]": capitalised words before the office (English
# puts the organisation there), a prepositional qualifier after it.
_ROLE = (
    rf"(?P<role>(?:{_CAPWORD}\s+){{0,3}}(?i:{_HEAD_RX})\b{_ROLE_ADJ}{{0,2}}"
    rf"(?:\s+{_LINKWORD}(?:(?:the|il|la)\s+|l['’]\s*)?{_QUAL_WORD}"
    rf"(?:\s+(?:(?:e|and)\s+|{_LINKWORD})?{_QUAL_WORD}){{0,3}})?)"
)
# A role anywhere in a question ("How much will it cost, according to the council leader?",
# "What traffic does the port authority president expect?"): an article, a few words, an
# office, its qualifier.
ROLE_IN_QUESTION = re.compile(
    rf"(?<![\w'’])(?P<role>(?:(?:the|il|lo|la)\s+|l['’]\s*)(?:[\w'’-]+\s+){{0,4}}?"
    rf"(?:{_HEAD_RX})\b{_ROLE_ADJ}{{0,2}}"
    rf"(?:\s+{_LINKWORD}(?:(?:the|il|la)\s+|l['’]\s*)?{_QUAL_WORD}"
    rf"(?:\s+(?:{_LINKWORD})?(?-i:[A-ZÀ-Ö])[\w&'’-]*){{0,3}})?)",
    re.IGNORECASE,
)
# An office and its place or portfolio right before a name: 'il sindaco di Valmarina Vittorio
# Abbondanza', "l'assessora al Demanio Giuliana Parodi" start the name after it. Italian
# only: after 'director of' English puts an organisation ('director of Human Rights Watch'),
# and a name after a comma.
OFFICE_OF = re.compile(
    rf"(?i:{_HEAD_RX})\s+(?:(?:di|del|della|dello|dei|degli|delle|al|alla|allo|ai|agli|alle)\s+"
    r"|(?:dell|all)['’]\s*)$"
)
_ARTICLE_RX = r"(?:(?:the|an?|il|lo|la)\s+|l['’]\s*)?"
# Role then name: "il segretario generale della Nato, Mark Rutte" / "Health Secretary Alan
# Birch". Matched against the text that ends where the name starts.
_ROLE_BEFORE = re.compile(rf"(?:^|(?<=[\s(]))(?i:{_ARTICLE_RX}){_ROLE}\s*,?\s*$")
# Name then role: "Carla Venturini, ministra del Turismo," / "Jane Roe, chief executive of X."
_ROLE_AFTER = re.compile(rf"\s*,\s*(?i:{_ARTICLE_RX}){_ROLE}(?=\s*[,.;:)]|$)")
# Sentence openers and dates are not part of an organisation before the office.
_NOT_PREFIX = frozenset(
    fold(w)
    for w in """
    The A An And But In On At By For From With After Before As Yesterday Today Meanwhile
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December Il La Lo Ieri Oggi Earlier
    Later Also Now Then However Speaking
    """.split()
)
# A past holder is not the holder: 'former Foreign Secretary X', "l'ex ministro X".
_FORMER = re.compile(r"\b(?:former|ex|previous|late|onetime|then|ex-ministro)\b", re.IGNORECASE)
_TRAILING = frozenset(
    "of for at to di del della dello dell dei degli delle per al alla allo all ai agli alle the e and".split()
)


def _tokens(phrase: str) -> list[str]:
    return _TOKEN.findall(fold(phrase).replace("’", "'"))


def normalise_role(phrase: str) -> str:
    """The role phrase as a key: folded, lower case, without articles or a possessive 's."""
    words = [w for w in _tokens(phrase) if w != "s"]
    while words and words[0] in _ARTICLES:
        words = words[1:]
    while words and (words[-1] in _TRAILING or words[-1] in _ARTICLES):
        words = words[:-1]  # 'secretary of the' when a name cut the phrase short
    return " ".join(words)


def parse_role(phrase: str) -> tuple[str, frozenset[str]]:
    """(canonical office, canonical qualifier words) of a role phrase; ("", ...) without one."""
    words = _tokens(phrase)
    head, quals, rank = "", [], ""
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            cand = " ".join(words[i : i + size])
            if not head and len(words[i : i + size]) == size and cand in _HEADS:
                head = _HEADS[cand]
                i += size
                break
        else:
            if words[i] in _RANKS:
                rank = _RANKS[words[i]]
            elif words[i] not in _FILLER:
                quals.append(_QUALIFIERS.get(words[i], words[i]))
            i += 1
    return f"{rank} {head}" if rank and head else head, frozenset(quals)


def _trim_prefix(role: str) -> str:
    words = role.split()
    while len(words) > 1 and fold(words[0]) in _NOT_PREFIX:
        words = words[1:]
    return " ".join(words)


def roles_in(text: str, people: list[tuple[int, int, str]]) -> dict[str, str]:
    """Normalised role phrase -> full name, from the appositions around each full name.

    ``people`` are (start, end, full name) spans of the names as written in full.
    The first holder of a role phrase in the article keeps it.
    """
    roles: dict[str, str] = {}
    for start, end, name in people:
        if text.startswith(("'s", "’s"), end):
            continue  # "Benazir Bhutto's prime minister": someone else's office
        line_start = max(text.rfind("\n", 0, start) + 1, start - 120)
        found = [_ROLE_BEFORE.search(text, line_start, start), _ROLE_AFTER.match(text, end)]
        for m in found:
            if m is None:
                continue
            lead = text[max(line_start, m.start("role") - 12) : m.end("role")]
            if m.re is _ROLE_BEFORE and _FORMER.search(lead):
                continue
            key = normalise_role(_trim_prefix(m.group("role")))
            if key and parse_role(key)[0]:
                roles.setdefault(key, name)
    return roles


def with_place(roles: dict[str, str], place: str) -> dict[str, str]:
    """The roles of a briefing filed from ``place`` with that place as one more qualifier:
    in a Lagonero briefing "il sindaco" is the mayor of Lagonero, and a question asks for
    him so ("the mayor of Lagonero") though the article never writes it."""
    town = place.split("(")[0].strip()
    if not town:
        return roles
    out = dict(roles)
    for key, name in roles.items():
        if fold(town).lower() not in key:
            out.setdefault(normalise_role(f"{key} {town}"), name)
    return out


def match_role(phrase: str, roles: dict[str, str]) -> str:
    """The full name of the one person holding the office ``phrase`` names, in either
    language ("the NATO Secretary General" finds "segretario generale della nato").

    The question's qualifiers must all be among the role's ("the chief executive of
    Northwind" finds "chief executive of northwind air"); a bare office ("the mayor") is
    enough when one person holds it. "" when nobody or more than one person fits.
    """
    head, quals = parse_role(phrase)
    if not head:
        return ""
    # An English "secretary" is a minister, or the secretary of a union or party.
    heads = {head, "secretary"} if head == "minister" and "secretary" in _tokens(phrase) else {head}
    best: dict[str, int] = {}
    for key, name in roles.items():
        role_head, role_quals = parse_role(key)
        if role_head not in heads:
            continue
        shared = quals & role_quals
        # All the question's qualifiers, or most of them: a question words the office in
        # its own language ("the director general of the Valle del Celso health
        # authority" for "direttrice generale dell'Asl Valle del Celso"), and a word
        # with no counterpart (health / Asl) must not hide the ones that agree. One of
        # those that agree must name something: "general" alone makes no two offices one.
        if quals <= role_quals or (shared - _WEAK and 2 * len(shared) >= len(quals)):
            best[name] = max(best.get(name, -1), len(shared))
    if not best:
        return ""
    top = max(best.values())
    names = [name for name, score in best.items() if score == top]
    return names[0] if len(names) == 1 else ""


def roles_metadata(roles: dict[str, str]) -> str:
    return json.dumps(roles, ensure_ascii=False, sort_keys=True)


def roles_from_metadata(value: object) -> dict[str, str]:
    try:
        roles = json.loads(str(value or "{}"))
    except ValueError:
        return {}
    if not isinstance(roles, dict):
        return {}
    return {str(k): str(v) for k, v in roles.items()}
