"""Role resolution under rewording: the even briefings' role questions asked in the other
phrasings people use, each keeping its gold person (bench/wires/, even half only).

    PYTHONPATH=. python bench/role_mutations.py --store DIR
                                                [--samples 3] [--json out.json] [-v]

Question side: each role question (type ``role``, gold speaker) is asked again with its
role phrase rewritten by one mutation type at a time, and ``Assistant.question`` must still
resolve the role to the gold person (the score of bench/wires.py ``role_items``):

- ``lang``: the whole question in the other language (hand-written below, the person kept);
  every other mutation is applied to the original and to this translation;
- ``gender``: the office noun in its other gender (sindaco/sindaca, assessore/assessora,
  il/la presidente, direttore/direttrice, chairman/chairwoman/chair, spokesman/...);
- ``place_drop`` / ``place_add``: without the town or organisation / with the briefing's
  town ("the mayor" -> "the mayor of Lagonero", "il prefetto" -> "il prefetto di X");
- ``abbrev``: office abbreviations (ad, dg, CEO, MD, MP expanded) both ways;
- ``order``: word order ("the regional health councillor" / "the councillor for health of
  the region", "l'assessore regionale alla Sanità" / "l'assessore alla Sanità della
  Regione", "the mayor of Pietralba" / "the Pietralba mayor");
- ``prep``: articles and prepositions (dell'Asl / della Asl, di X / della X, assessore
  alla / della Sanità, minister for / of tourism);
- ``rank``: "acting" / "interim" / "ad interim" / "facente funzione", "former" / "ex" /
  "ex-" / "precedente", for the questions whose person holds such an office;
- ``possessive``: "the mayor of X" / "X's mayor", "the consortium's director" / "the
  director of the consortium".

Briefing side (no store): the role a briefing gives the gold person is moved around the
name (``brief_before``: "la ministra del Turismo Carla X"; ``brief_after``: "Carla X,
ministra del Turismo,"; only a later sentence says it, ``brief_later``: "X, ministra del
Turismo dal 2024, era presente", ``brief_copula``: "X è ministra del Turismo dal 2024."),
and the original question's role must resolve against that briefing's
roles alone (``rag.quotes.find_roles`` + ``with_place``, as at ingest, then
``rag.roles.match_role``).

The mutation rules and their small lexicon live here, apart from rag/roles.py, so that
the bench does not grade the lexicon with itself.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wires import (  # noqa: E402
    ROOT,
    briefing_text,
    load_set,
    open_assistant,
    split_of,
)

from rag.lexical import fold  # noqa: E402

Row = dict[str, Any]

# Every even role question in the other language, hand-translated, the person kept.
OTHER_LANG: dict[str, str] = {
    "w011": "Cosa chiede la segretaria del sindacato dei portuali mentre vanno avanti i lavori?",
    "w015": "Quanto traffico si aspetta il presidente dell'Autorità portuale una volta aperto il nuovo canale?",
    "w023": "How did the president of Acqua Chiara describe the increase?",
    "w031": "Cosa ha detto la ministra del Turismo sui piccoli borghi?",
    "w032": "What did the Tourism Minister say about the timing of the calls for bids?",
    "w049": "What did the vice-president of the Scuole Aperte network say about families?",
    "w083": "Cosa ha detto la guida alpina sull'uso della funivia oltre ai turisti?",
    "w088": "Cosa ha detto la ministra per la Casa sulle case sfitte durante la crisi abitativa?",
    "w101": "Come ha descritto il ritardo il ministro della Salute?",
    "w102": "What did the hospital's chief executive say about the new nurses?",
    "w135": "Cosa ha detto il commissario regionale ai trasporti sulle possibili perdite?",
    "w154": "Cosa ha detto il vicesindaco di New Harlow su cosa fa il comune per i librai?",
    "w166": "Cosa ha detto la direttrice generale dell'Asl Valle del Celso sul reparto di pediatria?",
    "w167": "What did the mayor of Montecelso say about the hospital car park?",
    "w169": "Cosa ha ammesso l'assessore provinciale all'Edilizia scolastica sulla caldaia?",
    "w170": "What did the head teacher of the Fermi school in Roccasalda say?",
    "w172": "Cosa ha annunciato l'assessora regionale all'Agricoltura dopo la grandinata?",
    "w175": "Cosa ha detto la portavoce dei pendolari della Val Lusina sull'esposto in procura?",
    "w176": "Quando saranno pagati i rimborsi degli abbonamenti, secondo l'assessore regionale ai Trasporti?",
    "w178": "Cosa ha detto il ministro dell'Ambiente sul divieto della plastica monouso nelle mense?",
    "w179": "Cosa ha detto la presidente di Federplast sul decreto?",
    "w181": "Cosa ha detto la direttrice dello stabilimento su dove andrà la produzione?",
    "w182": "What did the secretary of the metalworkers' federation say about the strike?",
    "w183": "Quando potrebbe tenersi un primo incontro con Rotoflex, secondo il prefetto?",
    "w184": "Cosa ha detto il commissario per la ricostruzione sulla riapertura delle scuole di Fornovecchio?",
    "w185": "Dove si terranno le lezioni nel frattempo, secondo la sindaca di Fornovecchio?",
    "w187": "Cosa ha detto il direttore del pronto soccorso di Castelrupo sui tempi di attesa?",
    "w188": "What did the welfare councillor say about the centres for the elderly?",
    "w190": "Cosa ha detto la direttrice del museo sugli affreschi?",
    "w191": "Cosa ha detto l'assessore alla Cultura di Castelvitale sui biglietti?",
    "w193": "Cosa ha detto il sindaco di Lagonero sul ghiaccio?",
    "w194": "Cosa ha detto il comandante della stazione forestale sulla temperatura dell'acqua?",
    "w195": "What does the president of the Lagonero Pro loco fear?",
    "w196": "Cosa ha detto il presidente del club sulle fondamenta del nuovo stadio?",
    "w197": "Chi pagherà la manutenzione del vecchio stadio, secondo la sindaca di Santeramo?",
    "w199": "Cosa ha detto la sottosegretaria alla Salute sulle importazioni di farmaci?",
    "w200": "Quali farmaci mancano di più, secondo il presidente di Federfarmacie?",
    "w202": "Quanto costerà il blocco delle tariffe dei parcheggi, secondo la leader del consiglio?",
    "w203": "Su cosa ha messo in guardia il presidente della commissione Bilancio?",
    "w205": "Cosa ha detto l'amministratore delegato del North Vale Hospitals Trust sui turni di notte?",
    "w206": "Cosa ha detto la deputata locale sugli autobus per Castleford?",
    "w208": "Cosa ha detto la sindaca delle isole Halm sugli alunni?",
    "w209": "Cosa ha detto l'amministratore delegato di Nordvik Ferries sulle tariffe?",
    "w214": "Cosa ha detto il presidente del comitato Aria Pulita su una protesta?",
    "w218": "Cosa ha detto il presidente della Provincia sui piloni del ponte?",
    "w228": "Cosa ha detto la direttrice amministrativa sugli infermieri?",
    "w235": "Cosa ha detto l'assessora alle Politiche abitative sugli appartamenti sfitti?",
    "w238": "Cosa ha detto la direttrice del museo sul biglietto?",
    "w242": "According to the president of the port authority, how much traffic will come once the new channel is open?",
    "w243": "What did the deputy mayor of New Harlow say about bookshops?",
    "w244": "What did the mayor of the Halm islands say about the students?",
    "w245": "What did the chief executive of Nordvik Ferries say about fares?",
    "w246": "Cosa ha detto il consigliere di opposizione sulle buche?",
    "w247": "Secondo l'amministratrice delegata di Nachtlinie, cosa vuole la gente?",
    "w407": "Cosa ha detto l'assessore alla Sanità del Piemonte sulla telemedicina?",
    "w408": "What did the Piedmont regional health councillor say about doctors?",
    "w409": "Cosa ha detto la sindaca di Pratogelato sull'ultimo medico del paese?",
    "w410": "Cosa ha detto l'ex direttore dell'Asl Valli Alte sui pazienti cronici?",
    "w413": "Cosa ha detto la sindaca di Pietralba sugli abbonamenti degli studenti?",
    "w414": "What did the mayor of Roccafiora say about the cost of the service?",
    "w415": "Cosa ha detto il vicesindaco di Roccafiora sulle fermate dell'autobus?",
    "w416": "Cosa ha detto l'ex sindaco di Pietralba sull'accordo?",
    "w429": "Cosa ha detto la presidente del consorzio della Piana del Sarvo sulle bollette dell'irrigazione?",
    "w430": "What did the former president of the Piana del Sarvo consortium say about funding for the works?",
    "w431": "Secondo il direttore tecnico del consorzio, quando partirà il secondo lotto dei lavori?",
    "w445": "Cosa ha detto il leader del consiglio di Ravensmoor sul pagamento dell'impianto?",
    "w446": "What did the leader of Kelbrook council say about the opening of the plant?",
    "w447": "Cosa ha detto la vice leader del consiglio di Kelbrook sulla raccolta dei rifiuti?",
    "w448": "Cosa ha detto il direttore generale del consiglio di Ravensmoor sull'aeroporto?",
    "w521": "Cosa ha detto la portavoce del ministro sui posti di lavoro alla stazione della guardia costiera?",
    "w522": "Cosa ha detto la ministra del Mare sulla sorveglianza della costa?",
    "w523": "Cosa ha detto la comandante facente funzione della guardia costiera sui turni di notte?",
    "w524": "What did the minister's spokeswoman say about the radar?",
    "w525": "Cosa ha detto la comandante della guardia costiera sul personale?",
    "w526": "Cosa ha detto il leader del consiglio di Stellbourne sui pedaggi?",
    "w527": "Cosa ha detto la vice leader del consiglio di Stellbourne sulla manutenzione?",
    "w528": "What did the leader of Stellbourne council say about the bridge toll?",
    "w529": "Cosa ha detto il consigliere di opposizione sui fondi per il ponte?",
    "w537": "Cosa ha detto l'assessora regionale alla Salute sull'apertura del reparto di cardiologia?",
    "w539": "Cosa ha detto il direttore sanitario del Santa Chiara sui pazienti colpiti da infarto?",
    "w540": "What did the spokesman for the health authority's general management say about hiring?",
    "w545": "What did the coastguard spokeswoman say about the work at sea?",
    "w547": "Cosa ha detto il presidente dell'associazione ambientalista Onda Brunea sulla spiaggia?",
    "w563": "Cosa ha detto l'amministratore delegato del trust ospedaliero di Halberton sui posti letto?",
    "w565": "What did the spokesman for the regional health authority say about the plan?",
}

# ---------------------------------------------------------------- mutation lexicon

# Italian office nouns, masculine -> feminine (the adjective after them agrees too).
_IT_GENDER = {
    "sindaco": "sindaca",
    "vicesindaco": "vicesindaca",
    "assessore": "assessora",
    "consigliere": "consigliera",
    "direttore": "direttrice",
    "ministro": "ministra",
    "segretario": "segretaria",
    "sottosegretario": "sottosegretaria",
    "amministratore": "amministratrice",
    "commissario": "commissaria",
    "prefetto": "prefetta",
    "deputato": "deputata",
    "delegato": "delegata",
    "tecnico": "tecnica",
    "sanitario": "sanitaria",
    "amministrativo": "amministrativa",
    "straordinario": "straordinaria",
}
_IT_GENDER.update({f: m for m, f in list(_IT_GENDER.items())})
# Nouns the same in both genders: only the article says which.
_IT_COMMON = ("presidente", "vicepresidente", "portavoce", "preside", "comandante", "leader")
_EN_GENDER = {
    "chairman": "chairwoman",
    "chairwoman": "chair",
    "chair": "chairman",
    "spokesman": "spokeswoman",
    "spokeswoman": "spokesperson",
    "spokesperson": "spokesman",
    "headmaster": "headmistress",
    "headmistress": "head teacher",
    "head teacher": "headmaster",
    "president": "chairwoman",  # an association's or committee's president is its chair
}
_IT_FEMININE_END = ("a", "ice")


def _it_article(noun: str, feminine: bool) -> str:
    if noun[:1].lower() in "aeiouàèéìòù":
        return "l'"
    return "la " if feminine else "il "


# The role phrase: an article or possessor, then the office and what follows, up to the
# question's own words (a topic after "su"/"about", a comma, the question mark).
_TOPIC_CUT = re.compile(
    r"\s+(?:say|says|said|warn|admit|announce|want|wants|expect|fear|describe|sul|sulla|"
    r"sulle|sui|sugli|sullo|sull['’]|su|a proposito|about|mentre|dopo|once|while|una volta|"
    r"teme|riguardo)\b.*$|[,?].*$",
    re.IGNORECASE,
)


def role_phrase(question: str, found: str) -> str:
    """The role phrase as written in ``question``: the analysed one (``found``) extended
    over a trailing capitalised run the analyser read as a name."""
    if not found:
        return ""
    start = question.find(found)
    if start < 0:
        return found
    rest = question[start:]
    return _TOPIC_CUT.sub("", rest).strip()


def _swap(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<!\w){re.escape(old)}(?![\w'’])", new, text, count=1)


_IT_LINK = re.compile(
    r"\s(?:di|del|della|dello|dei|delle|degli|dell['’]|al|alla|ai|alle|all['’]|per)\b"
)
_IT_ART = re.compile(r"^(il |la |lo |l['’]\s*)", re.IGNORECASE)


def gender(phrase: str) -> list[str]:
    """The office in its other gender: the Italian office noun, its adjectives and its
    article (not the words after its first link, which say whose office it is)."""
    if art := _IT_ART.match(phrase):
        link = _IT_LINK.search(phrase, art.end())
        office = phrase[art.end() : link.start() if link else len(phrase)]
        rest = phrase[len(phrase) - len(phrase[art.end() + len(office) :]) :]
        words = office.split()
        if not words or (words[0].lower() not in _IT_GENDER and words[0].lower() not in _IT_COMMON):
            return []
        if words[0].lower() in _IT_GENDER:
            feminine = words[0].lower().endswith(_IT_FEMININE_END)
        else:
            feminine = art.group(1).lower().startswith("la")
        new = [
            _IT_GENDER[w.lower()]
            if w.lower() in _IT_GENDER and w.lower().endswith(_IT_FEMININE_END) == feminine
            else w
            for w in words
        ]
        return [_it_article(new[0], not feminine) + " ".join(new) + rest]
    low = phrase.lower()
    if re.search(r"\b(?:Province|Region)\b", phrase):
        return []
    for old, new_word in _EN_GENDER.items():
        if re.search(rf"\b{old}\b", low):
            return [re.sub(rf"\b{old}\b", new_word, phrase, count=1, flags=re.IGNORECASE)]
    return []


# "of X", "di X" where X is a town or a body by name (capitalised), and "X's".
_EN_OF_NAME = re.compile(
    r"\s+(?:of|for|in)\s+(?:the\s+)?[A-Z][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*|of|and))*$"
)
_IT_OF_NAME = re.compile(
    r"\s+(?:di|del|della|dello|dei|delle|degli|dell['’])\s*[A-ZÀ-Ö][\w'’-]*"
    r"(?:\s+(?:[A-ZÀ-Ö][\w'’-]*|di|del|della|e))*$"
)
_POSS = re.compile(r"^(?:the\s+)?((?:[A-Z][\w-]*\s+){0,3}[A-Z][\w-]*)['’]s?\s+", re.UNICODE)
_NATIONAL = re.compile(
    r"minist|secretary|undersecretar|sottosegretar|regional|provincial|regionale|provinciale|"
    r"\bmp\b|deputat|Regione|Provincia|Province|union|sindacato|federazione|federation|"
    r"spokes|portavoce|coastguard|guardia",
    re.IGNORECASE,
)


def place_drop(phrase: str) -> list[str]:
    if m := _POSS.match(phrase):
        return ["the " + phrase[m.end() :]]
    for rx in (_EN_OF_NAME, _IT_OF_NAME):
        if (m := rx.search(phrase)) and m.start() > 0:
            return [phrase[: m.start()]]
    return []


def place_add(phrase: str, town: str, it: bool) -> list[str]:
    if not town or town.lower() in phrase.lower() or _NATIONAL.search(phrase):
        return []
    if re.search(r"\s(?:[A-ZÀ-Ö][\w-]*)", phrase) or re.search(r"['’]s\s", phrase):
        return []  # names its own town or body
    return [f"{phrase} di {town}" if it else f"{phrase} in {town}"]


_ABBREV = [
    (r"\bamministratore delegato\b", "ad"),
    (r"\bamministratrice delegata\b", "ad"),
    (r"\bdirettore generale\b", "dg"),
    (r"\bdirettrice generale\b", "dg"),
    (r"\bchief executive\b", "CEO"),
    (r"\bMP\b", "member of parliament"),
    (r"\bAsl\b", "azienda sanitaria locale"),
]


def abbrev(phrase: str) -> list[str]:
    out = []
    for rx, short in _ABBREV:
        if re.search(rx, phrase):
            cand = re.sub(rx, short, phrase, count=1)
            # "l'ad", "il dg": the article of the abbreviation's first sound.
            cand = re.sub(r"^(?:il|la)\s+(ad)\b", r"l'\1", cand)
            cand = re.sub(r"^l['’]\s*(dg)\b", r"il \1", cand)
            out.append(cand)
    return out


# English portfolios and bodies, for word order ("the health councillor" / "the councillor
# for health"), and the Italian regional and provincial adjectives.
_EN_PORTFOLIOS = frozenset(
    "health transport tourism agriculture culture housing environment welfare finance "
    "education planning reconstruction maritime".split()
)
# Words that stay before the office ("the acting chief", "the technical director").
_EN_FIXED = frozenset(
    "acting former deputy opposition local administrative technical commercial medical".split()
)
_EN_HEADS = (
    "councillor|minister|secretary|undersecretary|commissioner|director|president|mayor|"
    "chief executive|commander|leader|chair|spokeswoman|spokesman|head"
)
_EN_PRE = re.compile(rf"^the\s+((?:[\w-]+\s+){{1,3}}?)({_EN_HEADS})$", re.IGNORECASE)
_EN_POST = re.compile(rf"^the\s+({_EN_HEADS})\s+(of|for)\s+(?:the\s+)?([\w' -]+?)$", re.IGNORECASE)
_IT_LEVEL = re.compile(
    r"^(\S+\s*\S+?)\s+(regionale|provinciale)\s+((?:al|alla|all['’]|ai|agli|alle)\s*.+?)"
    r"(?:\s+(?:del|della|dell['’])\s*(?P<place>[A-ZÀ-Ö]\w+))?$"
)
_IT_OF_LEVEL = re.compile(
    r"^(.+?\s(?:al|alla|all['’]|ai|agli|alle)\s*.+?)\s+della\s+(Regione|Provincia)\b(.*)$"
)


def order(phrase: str) -> list[str]:
    out: list[str] = []
    if m := _EN_PRE.match(phrase):
        mods = m.group(1).split()
        head = m.group(2)
        if any(w.lower() in _EN_FIXED for w in mods):
            return []
        level = [w for w in mods if w.lower() in ("regional", "provincial")]
        port = [w for w in mods if w.lower() in _EN_PORTFOLIOS]
        body = [w for w in mods if w not in level and w not in port]
        cand = f"the {head}"
        if port:
            cand += f" for {' '.join(port)}"
            if port[-1].lower() == "maritime":
                cand += " affairs"
        if body:
            of = " ".join(body)
            cand += f" of {of}" if of[:1].isupper() else f" of the {of}"
        if level and body:
            cand = cand.replace("the ", f"the {level[0]} ", 1)
        elif level:
            cand += f" of the {'region' if level[0].lower() == 'regional' else 'province'}"
        if cand != f"the {head}":
            out.append(cand)
    elif m := _EN_POST.match(phrase):
        head, _, rest = m.groups()
        if " of " not in rest and " for " not in rest:
            # "the spokeswoman for the Val Lusina commuters" -> "the Val Lusina commuters' ..."
            plural = rest.endswith("s") and rest.split()[-1].islower()
            out.append(f"the {rest}{chr(39) if plural else ''} {head}")
    if m := _IT_LEVEL.match(phrase):
        office, level, port, place = m.groups()
        body = "Regione" if level == "regionale" else "Provincia"
        out.append(f"{office} {port} della {body}" + (f" {place}" if place else ""))
    elif m := _IT_OF_LEVEL.match(phrase):
        office, level, rest = m.groups()
        adj = "regionale" if level == "Regione" else "provinciale"
        words = office.split(maxsplit=2)
        # "l'assessore alla Sanità della Regione" -> "l'assessore regionale alla Sanità"
        if len(words) >= 2:
            out.append(f"{words[0]} {adj} {' '.join(words[1:])}{rest}".replace("' ", "'", 1))
    return out


_IT_PORT_PREP = {"al": "del", "alla": "della", "ai": "dei", "alle": "delle", "agli": "degli"}
_IT_PORT_PREP.update({v: k for k, v in list(_IT_PORT_PREP.items())})


# Offices held over a portfolio, whose preposition varies ("assessore alla / della Sanità",
# "ministro del / al Turismo"); organisations' offices, whose article varies ("presidente di /
# della Federplast").
_IT_PORTFOLIO_OFFICE = re.compile(
    r"^(?:il|la|l['’])\s*(?:assessor[ea]|ministr[oa]|sottosegretari[oa]|commissari[oa]|"
    r"consiglier[ea])(?:\s+(?:regionale|provinciale|comunale))?\s+",
    re.IGNORECASE,
)
_IT_ORG_OFFICE = re.compile(
    r"^(?:il|la|l['’])\s*(?:presidente|vicepresidente|amministrat\w+\s+delegat[oa]|"
    r"direttore|direttrice|segretari[oa])(?:\s+[a-z]+)?\s+di\s+(?=(?-i:([A-Z][\w-]*)))",
    re.IGNORECASE,
)


def prep(phrase: str, places: frozenset[str]) -> list[str]:
    out: list[str] = []
    if re.search(r"\bdell['’]\s*(?=A(?:sl|genzia|ssociazione))", phrase):
        out.append(re.sub(r"\bdell['’]\s*(?=A)", "della ", phrase, count=1))
    if (m := _IT_ORG_OFFICE.match(phrase)) and m.group(1) not in places:
        out.append(re.sub(r"\bdi\s+$", "della ", phrase[: m.end()]) + phrase[m.end() :])
    if office := _IT_PORTFOLIO_OFFICE.match(phrase):
        a = office.end()
        if m := re.match(r"(al|alla|ai|alle|agli|del|della|dei|delle|degli)\s+", phrase[a:]):
            out.append(phrase[:a] + _IT_PORT_PREP[m.group(1)] + " " + phrase[a + m.end() :])
        elif m := re.match(r"(all|dell)['’]\s*", phrase[a:]):
            new = "dell'" if m.group(1) == "all" else "all'"
            out.append(phrase[:a] + new + phrase[a + m.end() :])
    if m := re.search(r"\b(minister|secretary|councillor|commissioner)\s+for\s+", phrase, re.I):
        out.append(phrase[: m.end(1)] + " of " + phrase[m.end() :])
    return out


_RANK_SWAPS = [
    (r"\bacting\b", "interim"),
    (r"\bfacente funzione\b", "ad interim"),
    (r"\bad interim\b", "facente funzione"),
    (r"\bformer\s+", "ex-"),
    (r"\bex-", "former "),
    (r"^l['’]ex\s+", "il precedente "),
    (r"\bex\s+", "former "),
]


def rank(phrase: str) -> list[str]:
    out: list[str] = []
    for rx, new in _RANK_SWAPS:
        if re.search(rx, phrase, re.IGNORECASE):
            cand = re.sub(rx, new, phrase, count=1, flags=re.IGNORECASE)
            if new == "il precedente ":
                # gender of the office after it
                first = cand.split()[2] if len(cand.split()) > 2 else ""
                if first.lower().endswith(_IT_FEMININE_END):
                    cand = cand.replace("il precedente", "la precedente", 1)
            out.append(cand)
            break
    return out


_EN_OF_POSS = re.compile(
    rf"^the\s+((?:(?:former|deputy|acting)\s+)?(?:{_EN_HEADS}))\s+of\s+(the\s+)?([A-Za-z][\w -]*?)$"
)


def possessive(phrase: str) -> list[str]:
    if m := _POSS.match(phrase):
        return [f"the {phrase[m.end() :]} of {m.group(1)}"]
    if m := re.match(rf"^the\s+([\w ]+?)['’]s?\s+((?:[a-z]+\s+)?(?:{_EN_HEADS}))$", phrase):
        return [f"the {m.group(2)} of the {m.group(1)}"]
    if m := _EN_OF_POSS.match(phrase):
        head, the, owner = m.groups()
        mark = "'" if owner.endswith("s") else "'s"
        if owner[:1].isupper() and not the:
            return [f"{owner}{mark} {head}"]
        return [f"the {owner}{mark} {head}"]
    return []


MUTATIONS: dict[str, Callable[[str, Row], list[str]]] = {
    "gender": lambda p, _: gender(p),
    "place_drop": lambda p, _: place_drop(p),
    "place_add": lambda p, c: place_add(p, c["town"], c["it"]),
    "abbrev": lambda p, _: abbrev(p),
    "order": lambda p, _: order(p),
    "prep": lambda p, c: prep(p, c["places"]),
    "rank": lambda p, _: rank(p),
    "possessive": lambda p, _: possessive(p),
}


def question_mutations(
    q: Row, analyse_role: Callable[[str], str], town: str, places: frozenset[str] = frozenset()
) -> Iterator[Row]:
    """(type, question) rewrites of role question ``q``, each keeping its gold person."""
    bases = [("orig", q["question"], q["lang"])]
    if other := OTHER_LANG.get(q["id"]):
        yield {"type": "lang", "question": other}
        bases.append(("lang", other, "en" if q["lang"] == "it" else "it"))
    for _, text, lang in bases:
        phrase = role_phrase(text, analyse_role(text))
        if not phrase:
            continue
        ctx = {"town": town, "it": lang == "it", "places": places}
        for kind, fn in MUTATIONS.items():
            for new in fn(phrase, ctx):
                if new and new != phrase:
                    yield {"type": kind, "question": text.replace(phrase, new, 1), "phrase": new}


# ---------------------------------------------------------------- briefing side


def _surname(name: str) -> str:
    return name.split()[-1]


def briefing_mutations(text: str, name: str, roles: list[str], lang: str) -> Iterator[Row]:
    """The briefing with the role it gives ``name`` moved: before the name, after it, or
    only in a later sentence. Only where the role stands right by the name as written."""
    for role in roles:
        after = re.search(rf"{re.escape(name)},\s+{re.escape(role)}\s*,", text)
        before = re.search(
            rf"(?P<prep>\b(?:al|dal|del|alla|dalla|della|all['’]|dall['’]|dell['’])\s*)?"
            rf"(?:\b(?:il|la|the|an?|un|una)\s+|\bl['’])?(?:[\w-]+['’]s\s+)?"
            rf"{re.escape(role)},?\s+{re.escape(name)}",
            text,
            re.IGNORECASE,
        )
        if after is None and before is None:
            continue
        m = after if after is not None else before
        assert m is not None
        art = ""
        if lang == "it":
            first = role.split()[0].lower()
            fem = first.endswith(_IT_FEMININE_END) and first not in _IT_COMMON
            art = _it_article(first, fem)
        elif not role[:1].isupper():
            art = "the "
        # English puts a title before a name bare ("Health Secretary Jane Roe") and an office
        # after it with its article ("Jane Roe, the health councillor,").
        moved_before = f"{art if lang == 'it' else ''}{role} {name}"
        if re.search(r"(?:^|[.!?]\s|\n)$", text[: m.start()]):
            moved_before = moved_before[:1].upper() + moved_before[1:]
        close = "" if text[m.end() : m.end() + 1] in (",", ".", ";", ":") else ","
        moved_after = f"{name}, {art if lang == 'en' else ''}{role}{close}"
        if after is not None:
            yield {
                "type": "brief_before",
                "text": text[: m.start()] + moved_before + text[m.end() - 1 :].lstrip(","),
            }
        else:
            yield {"type": "brief_after", "text": text[: m.start()] + moved_after + text[m.end() :]}
        # Only a later sentence gives the role: the name alone where it was, then the
        # surname with its office after the paragraph, in apposition or as a copula.
        if after is not None:
            bare = text[: m.start()] + name + text[m.end() - 1 :]
        else:
            rest = text[m.end() :]
            if re.search(r",\s*$", text[m.start() : m.end() - len(name)]) and rest.startswith(","):
                rest = rest[1:]  # "A spokesman for X, Owen Madoc, said": no apposition left
            # "Stando al prefetto X" -> "Stando a X": the preposition without its article.
            prep_word = (m["prep"] or "").strip().lower().replace("’", "'")
            plain = {"al": "a", "alla": "a", "all'": "a", "dal": "da", "dalla": "da"}
            plain |= {"dall'": "da", "del": "di", "della": "di", "dell'": "di"}
            lead = f"{plain[prep_word]} " if prep_word else ""
            bare = text[: m.start()] + lead + name + rest
        para = bare.find("\n", m.start() + len(name))
        para = len(bare) if para < 0 else para
        sur = _surname(name)
        if lang == "it":
            forms = {
                "brief_later": f" {sur}, {role} dal 2024, era presente all'incontro.",
                "brief_copula": f" {sur} è {role} dal 2024.",
            }
        else:
            the = "" if role[:1].isupper() or role.lower().startswith("the ") else "the "
            forms = {
                "brief_later": f" {sur}, {the}{role} since 2024, attended the meeting.",
                "brief_copula": f" {sur} has been {the}{role} since 2024.",
            }
        for kind, later in forms.items():
            yield {"type": kind, "text": bare[:para].rstrip() + later + bare[para:]}
        return


# ---------------------------------------------------------------- run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--root", type=Path, default=ROOT)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--json", type=Path)
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    ap.add_argument("--skip-questions", action="store_true")
    args = ap.parse_args(argv)

    from rag.query import analyse
    from rag.quotes import find_roles
    from rag.roles import match_role, with_place

    annotations, questions = load_set(args.root)
    ann = {a["file"]: a for a in annotations}
    role_qs = [
        q
        for q in questions
        if q["type"] == "role" and q["expect"].get("speaker") and split_of(q["file"]) == "even"
    ]
    result: Row = {}
    # Towns, not organisations: "di Pietralba" has no article.
    places = frozenset(
        w
        for a in annotations
        for w in a.get("place", "").replace("(", " ").replace(")", " ").split()
    )

    def analyse_role(text: str) -> str:
        a = analyse(text)
        return f"{a.role} {a.speaker}".strip() if a.role and a.speaker else a.role

    if not args.skip_questions:
        assistant = open_assistant(args.store, args.root)
        rows: list[Row] = []
        for q in role_qs:
            gold = q["expect"]["speaker"]
            town = ann[q["file"]].get("place", "").split("(")[0].strip()
            cases = [{"type": "unmutated", "question": q["question"]}]
            cases += list(question_mutations(q, analyse_role, town, places))
            for c in cases:
                got = str(
                    getattr(
                        assistant.question(c["question"], chat_history=q.get("history") or []),
                        "speaker",
                        "",
                    )
                )
                rows.append(
                    {
                        "id": q["id"],
                        **c,
                        "gold": gold,
                        "got": got,
                        "right": fold(_surname(gold)) in fold(got),
                    }
                )
        by: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            by[r["type"]].append(r)
        print("\nrole resolution per mutation type (even role questions)")
        for kind in ("unmutated", "lang", *MUTATIONS):
            rs = by.get(kind, [])
            right = sum(r["right"] for r in rs)
            print(f"  {kind:12} {right:4}/{len(rs):<4} {100 * right / len(rs) if rs else 0:5.1f}")
        mutated = [r for r in rows if r["type"] != "unmutated"]
        right = sum(r["right"] for r in mutated)
        print(
            f"  {'all mutated':12} {right:4}/{len(mutated):<4} {100 * right / max(1, len(mutated)):5.1f}"
        )
        for kind in ("lang", *MUTATIONS):
            print(f"\n  samples {kind}:")
            for r in by.get(kind, [])[: args.samples]:
                print(f"    {'ok ' if r['right'] else 'MISS'} {r['id']} {r['question']}")
            if args.verbose:
                for r in by.get(kind, [])[args.samples :]:
                    if not r["right"]:
                        print(f"    MISS {r['id']} {r['question']}  -> {r['got']!r}")
        result["questions"] = rows

    # Briefing side: one briefing's roles alone, as ingest reads them.
    from rag.documents import load_file

    brows: list[Row] = []
    for q in role_qs:
        a = ann[q["file"]]
        gold = q["expect"]["speaker"]
        person = next((p for p in a["people"] if p["name"] == gold), None)
        if person is None:
            continue
        text = briefing_text(args.root, q["file"])
        doc = load_file(args.root / "briefings" / q["file"]).documents[0]
        place = str(doc.metadata.get("place") or "")
        headline = str(doc.metadata.get("title") or "")
        phrase = analyse_role(q["question"])

        def resolve(
            t: str, phrase: str = phrase, headline: str = headline, place: str = place
        ) -> str:
            return match_role(phrase, with_place(find_roles(t, headline=headline), place, t), t)

        base = resolve(text)
        for m in briefing_mutations(text, gold, person["roles"], a["lang"]):
            got = resolve(m["text"])
            brows.append(
                {
                    "id": q["id"],
                    "type": m["type"],
                    "base_right": fold(_surname(gold)) in fold(base),
                    "right": fold(_surname(gold)) in fold(got),
                    "got": got,
                    "snippet": _around(m["text"], _surname(gold)),
                }
            )
    print("\nbriefing side (match_role on the one briefing; only where unmutated resolves)")
    by_b: dict[str, list[Row]] = defaultdict(list)
    for r in brows:
        if r["base_right"]:
            by_b[r["type"]].append(r)
    kinds = ("brief_before", "brief_after", "brief_later", "brief_copula")
    for kind in kinds:
        rs = by_b.get(kind, [])
        right = sum(r["right"] for r in rs)
        print(f"  {kind:12} {right:4}/{len(rs):<4} {100 * right / len(rs) if rs else 0:5.1f}")
    for kind in kinds:
        print(f"\n  samples {kind}:")
        shown = by_b.get(kind, [])
        for r in shown[: args.samples]:
            print(f"    {'ok ' if r['right'] else 'MISS'} {r['id']} …{r['snippet']}…")
        if args.verbose:
            for r in shown[args.samples :]:
                if not r["right"]:
                    print(f"    MISS {r['id']} …{r['snippet']}… -> {r['got']!r}")
    result["briefings"] = brows
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


def _around(text: str, word: str, width: int = 90) -> str:
    i = text.find(word)
    k = text.find(f"{word} ", text.find("2024") - 150) if "2024" in text else i
    k = i if k < 0 else k
    return " ".join(text[max(0, k - width) : k + width].split())


if __name__ == "__main__":
    sys.exit(main())
