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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag.datelines import parse_dateline
from rag.text import cognate, fold

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
    **dict.fromkeys(
        (
            "presidente",
            "presidentessa",
            "president",
            "chairman",
            "chairwoman",
            "chairperson",
            "chair",
        ),
        "president",
    ),
    **dict.fromkeys(
        (
            "amministratore delegato",
            "amministratrice delegata",
            "chief executive officer",
            "chief executive",
            "managing director",
            "amministratore unico",
            "amministratrice unica",
            "ceo",
            "ad",
        ),
        "chief executive",
    ),
    # An Italian hospital's or health authority's "direttore generale" is what an English
    # hospital calls its chief executive; a ministry's is a director general (_NEAR).
    **dict.fromkeys(
        (
            "direttore generale",
            "direttrice generale",
            "director general",
            "general director",
            "dg",
        ),
        "director general",
    ),
    **dict.fromkeys(("portavoce", "spokesman", "spokeswoman", "spokesperson"), "spokesperson"),
    **dict.fromkeys(
        (
            "assessore",
            "assessora",
            "consigliere",
            "consigliera",
            "councillor",
            "councilor",
            "councilman",
            "councilwoman",
            "council member",
            # An English council's cabinet member for housing is its housing assessore.
            "cabinet member",
        ),
        "councillor",
    ),
    **dict.fromkeys(("coordinatore", "coordinatrice", "coordinator"), "coordinator"),
    **dict.fromkeys(("direttore", "direttrice", "director"), "director"),
    # Whoever leads an organisation, whatever its office is called there (_NEAR).
    # "chief coastguard", "fire chief": an English "chief" of a service is its head.
    **dict.fromkeys(("head", "capo", "boss", "numero uno", "chief"), "head"),
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
    **dict.fromkeys(("prefetto", "prefetta", "prefect"), "prefect"),
    **dict.fromkeys(("comandante", "commander"), "commander"),
    **dict.fromkeys(("capitano", "capitana", "captain"), "captain"),
    **dict.fromkeys(("leader", "guida"), "leader"),
    # Offices common in local and national news.
    **dict.fromkeys(("rettore", "rettrice", "rector", "vice chancellor"), "rector"),
    **dict.fromkeys(
        ("questore", "questora", "police chief", "chief of police", "chief constable"),
        "police chief",
    ),
    **dict.fromkeys(
        ("procuratore", "procuratrice", "prosecutor", "public prosecutor", "district attorney"),
        "prosecutor",
    ),
    **dict.fromkeys(("giudice", "judge"), "judge"),
    **dict.fromkeys(("senatore", "senatrice", "senator"), "senator"),
    **dict.fromkeys(("capogruppo", "group leader"), "group leader"),
    **dict.fromkeys(("tesoriere", "tesoriera", "treasurer"), "treasurer"),
    **dict.fromkeys(("primario", "primaria", "consultant", "head of department"), "consultant"),
    **dict.fromkeys(("soprintendente", "superintendent"), "superintendent"),
    **dict.fromkeys(("curatore", "curatrice", "curator"), "curator"),
    **dict.fromkeys(("vescovo", "bishop"), "bishop"),
    **dict.fromkeys(("arcivescovo", "archbishop"), "archbishop"),
    **dict.fromkeys(("parroco", "parish priest", "vicar"), "parish priest"),
    **dict.fromkeys(("allenatore", "allenatrice", "coach", "head coach"), "coach"),
    **dict.fromkeys(("professore", "professoressa", "professor"), "professor"),
    **dict.fromkeys(("ricercatore", "ricercatrice", "researcher"), "researcher"),
    **dict.fromkeys(("economista", "economist"), "economist"),
    **dict.fromkeys(("ispettore", "ispettrice", "inspector"), "inspector"),
    **dict.fromkeys(("responsabile", "manager"), "manager"),
    **dict.fromkeys(("garante", "ombudsman", "difensore civico"), "ombudsman"),
    **dict.fromkeys(("console", "consul"), "consul"),
    # People asked about by occupation ("the mountain guide", "the winegrower").
    **dict.fromkeys(("guida alpina", "mountain guide"), "mountain guide"),
    **dict.fromkeys(("titolare", "proprietario", "proprietaria", "owner"), "owner"),
    **dict.fromkeys(("fondatore", "fondatrice", "founder"), "founder"),
    **dict.fromkeys(("insegnante", "docente", "maestro", "maestra", "teacher"), "teacher"),
    **dict.fromkeys(("attivista", "campaigner", "activist"), "campaigner"),
    **dict.fromkeys(("sindacalista", "trade unionist", "unionist"), "trade unionist"),
    **dict.fromkeys(("collezionista", "collector"), "collector"),
    **dict.fromkeys(
        ("viticoltore", "viticoltrice", "winegrower", "wine grower", "winemaker"), "winegrower"
    ),
    **dict.fromkeys(("council leader", "leader of the council"), "council leader"),
    # The Italian party or union secretary; an English "Secretary" is a minister (above).
    **dict.fromkeys(("segretario", "segretaria"), "secretary"),
    **dict.fromkeys(
        ("deputato", "deputata", "parlamentare", "mp", "member of parliament"),
        "member of parliament",
    ),
    **dict.fromkeys(
        ("eurodeputato", "eurodeputata", "europarlamentare", "mep"),
        "member of the european parliament",
    ),
    **dict.fromkeys(
        ("direttore finanziario", "direttrice finanziaria", "chief financial officer", "cfo"),
        "chief financial officer",
    ),
    **dict.fromkeys(("dirigente",), "manager"),
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
    **dict.fromkeys(("vicedirettore", "vicedirettrice"), "deputy director"),
    **dict.fromkeys(("vicesegretario", "vicesegretaria"), "deputy secretary"),
    **dict.fromkeys(("vicecomandante",), "deputy commander"),
    **dict.fromkeys(("viceprefetto", "viceprefetta"), "deputy prefect"),
    **dict.fromkeys(("vicequestore", "vicequestora"), "deputy police chief"),
    "sottosegretario": "junior minister",
    "sottosegretaria": "junior minister",
}
# Words that make another office of the one they precede: the deputy prime minister is not
# the prime minister.
_RANKS: dict[str, str] = {
    **dict.fromkeys(("deputy", "vice", "vicario", "vicaria"), "deputy"),
    **dict.fromkeys(("shadow", "ombra"), "shadow"),
    **dict.fromkeys(("under", "junior", "sotto"), "junior"),
    # "direttore generale ad interim", "facente funzione": the office held for now.
    **dict.fromkeys(("acting", "interim", "facente", "reggente"), "acting"),
    # A past holder holds another office: the former mayor is not the mayor, and a question
    # may ask for the former one ("l'ex sindaco di Pietralba", "Harwell's former CEO").
    **dict.fromkeys(
        ("former", "ex", "previous", "onetime", "past", "precedente", "predecessor"), "former"
    ),
}
# Places English and Italian name differently, and their adjectives: "the Piedmont health
# councillor" is "l'assessore regionale alla Sanità del Piemonte", "the Ligurian one"
# that of Liguria.
_PLACES: dict[str, str] = {
    **dict.fromkeys(("piemonte", "piedmont", "piemontese", "piedmontese"), "piemonte"),
    **dict.fromkeys(("lombardia", "lombardy", "lombardo", "lombarda", "lombard"), "lombardia"),
    **dict.fromkeys(("toscana", "tuscany", "toscano", "tuscan"), "toscana"),
    **dict.fromkeys(("liguria", "ligurian", "ligure"), "liguria"),
    **dict.fromkeys(("sicilia", "sicily", "siciliano", "siciliana", "sicilian"), "sicilia"),
    **dict.fromkeys(("sardegna", "sardinia", "sardinian"), "sardegna"),
    **dict.fromkeys(("puglia", "apulia", "pugliese", "apulian"), "puglia"),
    **dict.fromkeys(("calabria", "calabrese", "calabrian"), "calabria"),
    **dict.fromkeys(("lazio", "latium", "laziale"), "lazio"),
    **dict.fromkeys(("umbria", "umbro", "umbra", "umbrian"), "umbria"),
    **dict.fromkeys(("abruzzo", "abruzzi", "abruzzese"), "abruzzo"),
    **dict.fromkeys(("veneto", "veneta"), "veneto"),
    **dict.fromkeys(("roma", "rome", "romano", "romana", "roman"), "roma"),
    **dict.fromkeys(("milano", "milan", "milanese"), "milano"),
    **dict.fromkeys(("torino", "turin", "torinese"), "torino"),
    **dict.fromkeys(("genova", "genoa", "genovese", "genoese"), "genova"),
    **dict.fromkeys(("venezia", "venice", "veneziano", "veneziana", "venetian"), "venezia"),
    **dict.fromkeys(("firenze", "florence", "fiorentino", "fiorentina", "florentine"), "firenze"),
    **dict.fromkeys(("napoli", "naples", "napoletano", "napoletana", "neapolitan"), "napoli"),
    **dict.fromkeys(("padova", "padua"), "padova"),
    **dict.fromkeys(("mantova", "mantua"), "mantova"),
}
# Qualifier words (folded) -> canonical form; any other qualifier word stands for itself
# (a town, a company: "valmarina", "northwind").
_QUALIFIERS: dict[str, str] = {
    **dict.fromkeys(("turismo", "tourism"), "tourism"),
    **dict.fromkeys(("salute", "sanita", "health"), "health"),
    **dict.fromkeys(("difesa", "defence", "defense"), "defence"),
    **dict.fromkeys(("esteri", "foreign"), "foreign"),
    # A council's "commissione Bilancio" is its finance committee, the "assessore al
    # Bilancio" its finance councillor.
    **dict.fromkeys(
        (
            "economia",
            "economy",
            "finanze",
            "finance",
            "tesoro",
            "treasury",
            "bilancio",
            "budget",
        ),
        "economy",
    ),
    **dict.fromkeys(
        ("trasporti", "transport", "transportation", "mobilita", "mobility"), "transport"
    ),
    **dict.fromkeys(
        ("mare", "marittimo", "marittima", "marittimi", "marittime", "maritime", "sea"),
        "maritime",
    ),
    **dict.fromkeys(("guardia", "guard"), "guard"),
    **dict.fromkeys(("costiera", "costiero", "coast", "coastal"), "coast"),
    **dict.fromkeys(("welfare",), "social"),
    **dict.fromkeys(("commercio", "commerce", "retail", "shops"), "commerce"),
    **dict.fromkeys(("urbanistica", "planning"), "planning"),
    **dict.fromkeys(("sicurezza", "security", "safety"), "security"),
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
    # A council's or parliament's "commissione" is a committee.
    **dict.fromkeys(("comitato", "committee", "commissione", "commissioni"), "committee"),
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
    **dict.fromkeys(("isole", "isola", "islands", "island"), "islands"),
    **dict.fromkeys(("istituto", "institute"), "institute"),
    **dict.fromkeys(("federazione", "federation"), "federation"),
    **dict.fromkeys(("fondazione", "foundation"), "foundation"),
    **dict.fromkeys(("societa", "azienda", "company", "firm"), "company"),
    **dict.fromkeys(("universita", "university"), "university"),
    **dict.fromkeys(("industria", "industry"), "industry"),
    **dict.fromkeys(("sanitaria", "sanitario"), "health"),
    **dict.fromkeys(("ospedaliera", "ospedaliero"), "hospital"),
    **dict.fromkeys(
        ("casa", "abitazioni", "abitativa", "abitative", "abitativo", "housing"), "housing"
    ),
    **dict.fromkeys(
        ("amministrativo", "amministrativa", "amministrativi", "administrative"),
        "administrative",
    ),
    **dict.fromkeys(("medical", "medico", "clinical", "clinico"), "health"),
    **dict.fromkeys(("sociale", "sociali", "social"), "social"),
    **dict.fromkeys(("tecnico", "tecnica", "tecnici", "technical"), "technical"),
    **dict.fromkeys(("finanziario", "finanziaria", "financial"), "economy"),
    **_PLACES,
}
# Acronyms that stand for a whole qualifier: the ASL is the local health authority.
_EXPAND: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("asl", "ausl", "usl", "ulss"), ("health", "authority")),
    "nhs": ("health",),
    # The Italian coastguard is the "Capitanerie di porto - Guardia costiera".
    **dict.fromkeys(("coastguard", "coastguards", "capitaneria"), ("coast", "guard")),
}
# Qualifiers that say what kind of office, not whose.
_WEAK = frozenset({"general", "regional", "provincial", "municipal", "national"})
# Words of a role phrase that say nothing about the office.
_FILLER = frozenset(
    """
    il lo la i gli le l un una uno di del della dello dell dei degli delle da dal dalla per e ed
    al alla allo all ai agli alle
    the a an of for at to and s affari affairs ministero ministry department office
    """.split()
)
_ARTICLES = frozenset("il lo la i gli le l un una uno the a an".split())
_TOKEN = re.compile(r"[a-z0-9]+")

_HEAD_RX = "|".join(
    sorted((re.escape(h).replace(r"\ ", r"[\s-]+") for h in _HEADS), key=len, reverse=True)
)
# "ex-mayor", "vice-president", "co-founder": a rank written onto the office.
_HEAD_RX = rf"(?:(?:ex|vice|co)-)?(?:{_HEAD_RX})"
_CAPWORD = r"(?:[A-ZÀ-Ö][\w&-]*(?:['’]s|s['’])?)"
# Lower-case words English puts before an office: its rank, its field, its level ("the
# deputy mayor", "the regional transport commissioner", "opposition councillor"), and a
# possessor ("the town's deputy mayor", "the islands' mayor", "Nachtlinie's managing
# director"), which says whose office it is.
_MODIFIERS = sorted(
    {w for w in (*_QUALIFIERS, *_RANKS) if w.isalpha()} | {"local", "opposition", "senior"},
    key=len,
    reverse=True,
)
_PREWORD = rf"(?:{_CAPWORD}|[a-zà-ÿ][\w-]*(?:['’]s|s['’])|(?i:(?:{'|'.join(_MODIFIERS)})\b))"
_QUAL_WORD = r"(?:[\w-]+|[A-ZÀ-Ö][\w&-]*)"
_LINKWORD = (
    r"(?:(?:of|for|at|to|di|del|della|dello|dei|degli|delle|per|al|alla|allo|ai|agli|alle)\s+"
    r"|(?:dell|all)['’]\s*)"
)
# Italian puts adjectives after the office: 'direttrice generale', 'assessore regionale',
# 'commissario straordinario', 'amministratore unico'.
_ROLE_ADJ = r"(?:\s+[a-zà-ÿ]+(?:ale|ali|ario|aria|ivo|iva|ico|ica|ato|ata|unico|unica))"
# "il direttore generale ad interim dell'Asl": the office held for now (a rank, parse_role).
_FOR_NOW = r"(?:\s+(?i:ad\s+interim|facente\s+funzion[ei]|pro\s+tempore|reggente))?"
# "the acting chief coastguard": an English "chief" heads the service named after it.
_CHIEF_OF = r"(?:(?<=[Cc]hief)[ \t]+(?!(?:of|for|at|to|and|said|says|told)\b)[a-z][a-z-]+)?"
# "[NATO] Secretary General [of the Alliance]": capitalised words before the office (English
# puts the organisation there), a prepositional qualifier after it.
_ROLE = (
    rf"(?P<role>(?:{_PREWORD}\s+){{0,3}}(?i:{_HEAD_RX})\b{_CHIEF_OF}{_ROLE_ADJ}{{0,2}}{_FOR_NOW}"
    rf"(?:\s+{_LINKWORD}(?:(?:the|il|la)\s+|l['’]\s*)?{_QUAL_WORD}"
    rf"(?:\s+(?:(?:e|and)\s+|{_LINKWORD})?{_QUAL_WORD}){{0,5}})?)"
)
# After the office in a question or a headline: a link, then names and qualifier words only
# ("the chair of the finance committee", "il presidente del Consorzio Alto Sarvo").
_NAMED_QUALIFIER = (
    rf"(?:\s+{_LINKWORD}(?:(?:the|il|la)\s+|l['’]\s*)?{_QUAL_WORD}"
    rf"(?:\s+(?:{_LINKWORD})?(?:(?-i:[A-ZÀ-Ö])[\w&'’-]*|(?:{'|'.join(_MODIFIERS)})\b)){{0,3}})?"
)
# A role anywhere in a question ("How much will it cost, according to the council leader?",
# "What traffic does the port authority president expect?"): an article, a few words, an
# office, its qualifier.
# A possessor may stand for the article ("New Harlow's deputy mayor", "Ravensmoor
# council's leader"); the words between
# the article and the office hold no other article ("Come ha definito l'aumento la
# presidente…": the role starts at "la"); after the qualifier, names and qualifier words
# ("the chair of the finance committee").
_Q_ARTICLE = r"(?:the|il|lo|la|i|gli|le|a|an|un|una)\s|l['’]"
# A possessor: a name, and the kind of body it names ("Ravensmoor council's"); not the
# question's first word ("What did Montecelso's mayor ...").
_Q_NAMEWORD = r"(?-i:[A-ZÀ-Ö])[\w-]*"
_Q_POSSESSOR = (
    r"(?!(?:what|who|how|when|where|why|which|did|does|do|and|according)\b)"
    rf"{_Q_NAMEWORD}(?:\s+(?:{_Q_NAMEWORD}|(?:{'|'.join(_MODIFIERS)})\b)){{0,2}}"
    r"(?:['’]s|s['’])\s+"
)
ROLE_IN_QUESTION = re.compile(
    rf"(?<![\w'’])(?P<role>(?:(?:the|il|lo|la)\s+|l['’]\s*"
    rf"|{_Q_POSSESSOR})"
    rf"(?:(?!{_Q_ARTICLE})[\w'’-]+\s+){{0,4}}?"
    rf"(?:{_HEAD_RX})\b{_ROLE_ADJ}{{0,2}}"
    rf"{_NAMED_QUALIFIER})",
    re.IGNORECASE,
)
# An office in a headline, which drops articles ("Stellbourne council leader backs ...",
# "Pontescuro, l'assessora alla Mobilità presenta ..."): words before the office as in an
# apposition, after it a link and names or qualifier words only.
_HEADLINE_ROLE = re.compile(
    rf"(?<![\w'’])(?P<role>(?:(?:the|il|lo|la)\s+|l['’]\s*)?(?:{_PREWORD}\s+){{0,3}}"
    rf"(?i:{_HEAD_RX})\b{_ROLE_ADJ}{{0,2}}"
    rf"{_NAMED_QUALIFIER})"
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
# How long, after an office: "since 2022", "for ten years", "dal 2024", "da gennaio", "dallo
# scorso anno".
_SINCE = (
    r"(?:(?:since|for|from|dal|dalla|dallo|da|per)\b\s*|dall['’]\s*)(?:[\w'’]+\s+){0,2}?"
    r"(?:\d{4}|[\w'’]+)"
)
# How long an office has been held, after it: "dal 2024", "since March", "da tre anni"; a
# time, not a portfolio ("per la ricostruzione", "for the region").
_TIME_WORDS = (
    r"\d{4}|anno|anni|mese|mesi|year|years|month|months|gennaio|febbraio|marzo|aprile|maggio"
    r"|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre|january|february|march|april"
    r"|may|june|july|august|september|october|november|december"
)
_HOW_LONG = (
    r"(?:since|for|from|dal|dalla|dallo|da|dall['’])\s+(?:[\w'’]+\s+){0,2}?"
    rf"(?i:{_TIME_WORDS})\b"
)
# Where an apposition's office ends: punctuation, a relative clause, or how long it has
# been held ("Sarti, assessora regionale alla Salute dal 2024,").
_ROLE_END = rf"(?:\s+{_HOW_LONG})?(?=\s*[,.;:)]|\s+(?:who|che)\s|$)"
# Name then role: "Carla Venturini, ministra del Turismo," / "Jane Roe, chief executive of X."
# "Theo Vanza, a teacher who leads a local group,": a relative clause
# may follow the office.
_ROLE_AFTER = re.compile(rf"\s*,\s*(?i:{_ARTICLE_RX}){_ROLE}{_ROLE_END}")
# Name, copula, office: "Sarti è assessora regionale alla Salute dal 2024", "Madoc has been
# the authority's spokesman since 2023", "Pike is chief executive of the trust". Present
# only: "è stato sindaco", "was mayor" are past offices the sentence does not date.
_ROLE_IS = re.compile(rf"\s+(?:è|is|has\s+been)\s+(?i:{_ARTICLE_RX}){_ROLE}{_ROLE_END}")
# Name, then the office as a verb: "Bernard Achterberg, who chairs the finance committee,"
# is the chair of the finance committee; "X, che presiede il consorzio," its president.
# In the present or, with how long ("who has led Stellbourne council since 2022", "che
# guida l'azienda da gennaio"), the perfect: still the office.
_OFFICE_VERBS: dict[str, str] = {
    **dict.fromkeys(("chairs", "presides over", "has chaired"), "chair"),
    **dict.fromkeys(
        ("heads", "runs", "directs", "manages", "has headed", "has run", "has managed"), "head"
    ),
    **dict.fromkeys(("leads", "has led"), "leader"),
    **dict.fromkeys(("founded",), "founder"),
    **dict.fromkeys(("presiede",), "presidente"),
    **dict.fromkeys(("dirige", "gestisce"), "direttore"),
    **dict.fromkeys(("guida", "ha guidato"), "guida"),
    **dict.fromkeys(("coordina",), "coordinatore"),
    **dict.fromkeys(("ha fondato",), "fondatore"),
}
_OFFICE_VERB_RX = "|".join(sorted(_OFFICE_VERBS, key=len, reverse=True)).replace(" ", r"\s+")
_ROLE_WHO = re.compile(
    rf"\s*,?\s*(?:who|che)\s+(?P<verb>{_OFFICE_VERB_RX})\s+"
    rf"(?:(?:the|an?|il|lo|la|i|gli|le|un|una)\s+|l['’]\s*)?(?P<org>[\w'’&-]+"
    rf"(?:\s+(?:(?:e|and)\s+|{_LINKWORD})?[\w'’&-]+){{0,5}}?)"
    rf"(?:\s+{_SINCE})?(?=\s*[,.;:)]|$)",
)
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
# A past holder is not the holder: 'former Foreign Secretary X', "l'ex ministro X" hold the
# former office (a rank), which the words before the role may say when the role leaves them
# out ('the former Labour Health Secretary').
_FORMER = re.compile(r"\b(?:former|ex|previous|late|onetime|then|ex-ministro)\b", re.IGNORECASE)
# A name right after a preposition is the office's object, not its holder: "presidente del
# consorzio al posto di Ermanno Tealdi", "the successor of X".
_ENDS_IN_LINK = re.compile(
    r"(?:\b(?:of|for|at|to|di|del|della|dello|dei|degli|delle|per|al|alla|allo|ai|agli|alle|da|dal|dalla|by)|\b(?:dell|all|dall)['’])\s*,?\s*$",
    re.IGNORECASE,
)
# Whom the holder replaced ends the office's qualifiers: "eletta presidente del consorzio al
# posto di Ermanno Tealdi", "appointed chief executive in place of X", "succeeding X".
_REPLACED = (
    r"(?i:al\s+posto|in\s+sostituzione|in\s+luogo|dopo\s+le\s+dimissioni|in\s+place"
    r"|succeeding|replacing|after\s+the\s+resignation)\b"
)
_SUCCESSION = re.compile(rf"\s+{_REPLACED}.*$", re.DOTALL)
# "sindaca di Pietralba dal 2024": how long is no qualifier of the office.
_SINCE_TAIL = re.compile(rf"\s+{_HOW_LONG}$")
# "Lucia Rabagliati, eletta a settembre presidente del consorzio,": an appointment between
# the name and the office, with when it happened.
_APPOINTED = re.compile(
    r"\s*,\s*(?:(?:newly|recently|appena|neo)\s*-?\s*)?"
    r"(?:elett[oaie]|nominat[oaie]|confermat[oaie]|designat[oaie]|appointed|elected|named)"
    r"(?:\s+[a-zà-ÿ0-9]+){0,3}?\s+(?:(?:as|come)\s+)?"
    rf"(?i:{_ARTICLE_RX}){_ROLE}(?=\s*[,.;:)]|\s+(?:who|che)\s|$|\s+{_REPLACED})"
)
_LINKS = frozenset(
    """
    of for at to di del della dello dell dei degli delle per al alla allo all ai agli alle
    """.split()
)
_TRAILING = _LINKS | {"the", "e", "and"}


def _tokens(phrase: str) -> list[str]:
    return _TOKEN.findall(fold(phrase).replace("’", "'"))


def is_office(word: str) -> bool:
    """Whether one word names an office on its own ('Superintendent', 'Prefetto'): before
    a first name and surname it is a title, not a third name."""
    return fold(word) in _HEADS


def normalise_role(phrase: str) -> str:
    """The role phrase as a key: folded, lower case, without articles or a possessive 's."""
    words = [w for w in _tokens(phrase) if w != "s"]
    while words and words[0] in _ARTICLES:
        words = words[1:]
    while words and (words[-1] in _TRAILING or words[-1] in _ARTICLES):
        words = words[:-1]  # 'secretary of the' when a name cut the phrase short
    return " ".join(words)


def _qualifier(word: str) -> tuple[str, ...]:
    """A qualifier word's canonical forms, as keys shared by Italian and English: mapped
    words to their English form, any other word to its ``cognate`` stem (islands/island,
    Federplast/federplast)."""
    if word in _EXPAND:
        return tuple(cognate(w) for w in _EXPAND[word])
    return (cognate(_QUALIFIERS.get(word, word)),)


_WEAK_KEYS = frozenset(cognate(w) for w in _WEAK)
_PLACE_KEYS = frozenset(cognate(v) for v in _PLACES.values())
# Qualifiers the lexicon knows (a ministry's field, a kind of body): any other one names a
# particular place or body, as a place in the lexicon does.
_COMMON_KEYS = (
    frozenset(cognate(v) for v in _QUALIFIERS.values())
    | frozenset(cognate(w) for ws in _EXPAND.values() for w in ws)
) - _PLACE_KEYS


# Words after an office that hold it for now ("ad interim", "facente funzione"), read as
# a rank before the office lexicon, where "ad" is a chief executive.
_ACTING_AFTER = frozenset(("ad interim", "facente funzione", "facente funzioni", "pro tempore"))


def parse_role(phrase: str) -> tuple[str, frozenset[str]]:
    """(canonical office, canonical qualifier keys) of a role phrase; ("", ...) without one.

    The office is the last office noun before the first link word: English puts whose
    office it is first ("the minister's spokeswoman" is a spokesperson, "Kelbrook council
    leader" a council leader), Italian after a link ("la portavoce della ministra"); or
    the phrase's last word with none before the link ("the Piana del Sarvo consortium
    president"). Any other office noun says whose office it is: a qualifier, in its
    canonical form."""
    words = _tokens(phrase)
    rank = ""
    offices: list[str] = []  # office nouns before the first link word
    quals: list[str] = []
    linked = False
    i = 0
    while i < len(words):
        if " ".join(words[i : i + 2]) in _ACTING_AFTER:
            rank, i = "acting", i + 2
            continue
        size = next(
            (n for n in (3, 2, 1) if i + n <= len(words) and " ".join(words[i : i + n]) in _HEADS),
            0,
        )
        if size:
            office = _HEADS[" ".join(words[i : i + size])]
            # Last, with no office before it: English names a body with a link inside it
            # before the office ("the Piana del Sarvo consortium president").
            last_alone = not offices and i + size == len(words)
            if linked and not last_alone:
                quals.append(cognate(office.split()[-1]))
            else:
                offices.append(office)
            i += size
            continue
        if words[i] in _RANKS:
            rank = _RANKS[words[i]]
        elif words[i] in _LINKS:
            linked = True
        elif words[i] not in _FILLER:
            quals.extend(_qualifier(words[i]))
        i += 1
    if not offices:
        return "", frozenset(quals)
    head = offices[-1]
    quals.extend(cognate(office.split()[-1]) for office in offices[:-1])
    if head == "council leader":  # "Kelbrook council leader" leads Kelbrook council
        head = "leader"
        quals.extend(_qualifier("council"))
    return f"{rank} {head}" if rank else head, frozenset(quals)


_CAPITALISED = re.compile(r"(?<![\w'’])(?-i:[A-ZÀ-Ö])[\w-]+")


def _proper_keys(phrase: str) -> frozenset[str]:
    """The qualifier keys of the capitalised words of a role phrase as written (a town, a
    company), without its articles and its office."""
    words = [fold(w).lower() for w in _CAPITALISED.findall(phrase.replace("’", "'"))]
    return (
        frozenset(k for w in words if w not in _FILLER and w not in _HEADS for k in _qualifier(w))
        - _COMMON_KEYS
    )


def context_keys(text: str) -> frozenset[str]:
    """The qualifier keys of a text around an office (the article's title and passages):
    an article that calls its museum's director "la direttrice" still names the museum."""
    return frozenset(k for w in _tokens(text) if w not in _FILLER for k in _qualifier(w))


# Offices one language names where the other has a neighbour: an Italian hospital's
# "direttore generale" is an English hospital's chief executive, and also its director.
_NEAR = frozenset(
    {
        frozenset(("director general", "chief executive")),
        frozenset(("director general", "director")),
        # "who leads the housing charity" is its head.
        frozenset(("director", "leader")),
        # An Italian party's or union's "segretario" is its leader.
        frozenset(("secretary", "leader")),
        *(
            frozenset(("head", office))
            for office in (
                "director",
                "director general",
                "president",
                "chief executive",
                "leader",
                "secretary general",
                "secretary",
                "coordinator",
                "commander",
            )
        ),
    }
)


@dataclass(frozen=True)
class Holder:
    """A person an article gives an office, with the article's words around it."""

    name: str
    role: str  # normalised role phrase, a key of ``roles_in``
    doc: str = ""  # the article, so that holders of one article compare
    context: frozenset[str] = frozenset()  # ``context_keys`` of the article
    date: str = ""  # the article's ISO date: an office changes hands between dated articles


# A month or year a question names ("in March", "a giugno", "nel marzo 2026", "in 2025"):
# the time whose holder of an office it asks about.
_Q_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january gennaio",
            "february febbraio",
            "march marzo",
            "april aprile",
            "may maggio",
            "june giugno",
            "july luglio",
            "august agosto",
            "september settembre",
            "october ottobre",
            "november novembre",
            "december dicembre",
        ),
        1,
    )
    for name in names.split()
}
_Q_PERIOD = re.compile(
    r"\b(?:in|a|ad|di|nel|nell['’]|during|durante)\s*(?:(?:the\s+)?(?:month\s+of|mese\s+di)\s+)?"
    rf"(?:(?P<month>{'|'.join(_Q_MONTHS)})(?:\s+(?:of\s+|del\s+)?(?P<year>(?:19|20)\d\d))?"
    r"|(?P<only_year>(?:19|20)\d\d))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Period:
    """A month (of any year, or of one) or a year a question names."""

    year: int | None = None
    month: int | None = None

    def holds(self, iso: str) -> bool:
        if not iso:
            return False
        year, month = int(iso[:4]), int(iso[5:7])
        return (self.year is None or year == self.year) and (
            self.month is None or month == self.month
        )

    def ends_after(self, iso: str) -> bool:
        """``iso`` falls before the period's end (a year is needed to say so)."""
        if not iso or self.year is None:
            return False
        return (int(iso[:4]), int(iso[5:7])) <= (self.year, self.month or 12)


def question_period(text: str) -> Period | None:
    """The month or year a question names, None when it names none."""
    m = _Q_PERIOD.search(text)
    if m is None:
        return None
    if m["only_year"]:
        return Period(year=int(m["only_year"]))
    return Period(year=int(m["year"]) if m["year"] else None, month=_Q_MONTHS[m["month"].lower()])


def _fit(phrase: str, holder: Holder) -> tuple[int, int, int] | None:
    """How well ``holder``'s office fits the office ``phrase`` names: (qualifiers in the
    role, qualifiers found in the role or its article, office score), higher is better;
    None when it does not fit.

    The office must be the same (or a neighbour, which scores lower). The question's
    qualifiers must be among the role's, or among the words of the role's article (weaker:
    "the museum director" is "la direttrice" of an article about the museum); or most of
    them, since a question words the office in its own language ("the director general of
    the Valle del Celso health authority" for "direttrice generale dell'Asl Valle del
    Celso"), and a word with no counterpart must not hide those that agree. Then one of
    the role's own must agree and name something: "general" alone makes no two offices
    one, nor a word the article happens to use ("nuovo" for "the mayor of Porto Nuovo").
    """
    head, quals = parse_role(phrase)
    role_head, role_quals = parse_role(holder.role)
    if not head or not role_head:
        return None
    # An English "secretary" is a minister, or the secretary of a union or party.
    heads = {head, "secretary"} if head == "minister" and "secretary" in _tokens(phrase) else {head}
    if role_head in heads:
        office = 2
    elif _near(heads, role_head):
        office = 1
    elif role_head.startswith("acting ") and _near(heads, role_head.removeprefix("acting ")):
        # The acting holder holds the office for now: the question for the office finds
        # them, below anyone holding it outright; a question for the acting one needs them.
        office = 1
    else:
        return None
    strong = quals & role_quals
    weak = (quals - role_quals) & holder.context
    found = strong | weak
    # The mayor of one town is not the mayor of another: a place or body the question names
    # (capitalised, or a place the lexicon knows) that the holder's article does not, where
    # the role names another, is another office.
    named = _proper_keys(phrase) | (quals & _PLACE_KEYS)
    if (named - found) and (role_quals - quals - _COMMON_KEYS):
        return None
    if not (quals <= found or (strong - _WEAK_KEYS and 2 * len(found) >= len(quals))):
        return None
    return len(strong), len(found), office


def _near(heads: set[str], role_head: str) -> bool:
    """Whether ``role_head`` is one of ``heads`` or a neighbour of one, of the same rank
    ("la comandante facente funzione" is "the acting chief")."""
    if role_head in heads:
        return True
    rank, _, base = role_head.rpartition(" ")
    for h in heads:
        h_rank, _, h_base = h.rpartition(" ")
        if frozenset((h, role_head)) in _NEAR:
            return True
        if rank and rank == h_rank and rank in _RANKED and frozenset((h_base, base)) in _NEAR:
            return True
    return False


def best_holders(phrase: str, holders: Iterable[Holder]) -> list[Holder]:
    """The holders with the most of the question's qualifiers found, in their role or in
    its article, less those whose role names another body (one per person, the best
    fitting first)."""
    fits: dict[str, tuple[tuple[int, int, int], Holder]] = {}
    plain: set[str] = set()  # people with a fitting role that is not astray
    for holder in holders:
        fit = _fit(phrase, holder)
        if fit is not None and (holder.name not in fits or fit > fits[holder.name][0]):
            fits[holder.name] = (fit, holder)
        if fit is not None and not _astray(phrase, holder):
            plain.add(holder.name)
    # A role naming a body or portfolio of its own that the question does not, and
    # agreeing with the question only through its article's words, is another office:
    # "the coastguard spokeswoman" is not "the minister's spokeswoman" of a story about a
    # coastguard station. Every role of the person must be astray (an article's bare
    # "direttrice" of its museum is not). Nobody else fits: none, rather than another
    # office's holder (the question's passages may miss the right article; the store is
    # searched then).
    fits = {name: fit for name, fit in fits.items() if name in plain}
    if not fits:
        return []
    top = max(fit[1] for fit, _ in fits.values())
    best = [(fit, holder) for fit, holder in fits.values() if fit[1] == top]
    return [holder for _, holder in sorted(best, key=lambda b: (-b[0][0], -b[0][2]))]


# Qualifiers the lexicon knows as a portfolio, a kind of body or an office ("transport",
# "committee", "minister"), not how wide an office is ("regional").
_KNOWN_KEYS = (
    _COMMON_KEYS | frozenset(cognate(h.split()[-1]) for h in _HEADS.values())
) - _WEAK_KEYS


def _astray(phrase: str, holder: Holder) -> bool:
    """Whether ``holder``'s role names a portfolio, body or office of its own the question
    does not, while some qualifier of the question is another the lexicon knows, or only
    in the role's article: "il presidente della commissione Trasporti" for "the chair of
    the finance committee". Not when the two name one body or place by its name ("Asl
    Valle del Celso", "Onda Brunea"): the words around the name differ by language."""
    quals = parse_role(phrase)[1]
    own = parse_role(holder.role)[1]
    if (quals & own) - _COMMON_KEYS - _KNOWN_KEYS:
        return False
    return bool((own - quals) & _KNOWN_KEYS) and bool(
        (quals - own) & (holder.context | _KNOWN_KEYS)
    )


def qualified_holders(phrase: str, holders: Iterable[Holder]) -> list[Holder]:
    """The holders of the office ``phrase`` names with every one of its qualifiers, at
    least one in the role itself ("the housing councillor" is "l'assessora alle Politiche
    abitative"; "la sindaca delle isole Halm" the islands' mayor of an article about Halm):
    the bar for holders found outside the question's passages, where a bare office ("the
    mayor") would name every town's."""
    quals = parse_role(phrase)[1]
    if not quals:
        return []
    return [
        h
        for h in holders
        if (fit := _fit(phrase, h)) is not None and fit[0] >= 1 and fit[1] >= len(quals)
    ]


def succession(phrase: str, best: Sequence[Holder]) -> list[Holder]:
    """``best``, oldest first, when it is one office held by different people in
    different dated articles ("presidente del Consorzio della Piana del Sarvo", one person
    in February, another in October), else []. The question must name the office by
    something particular (a place, a body: not only "environment" or "regional", which
    two countries' ministers share), and each holder's role must say one of those names,
    its role or article every qualifier the question gives. Two towns' mayors asked about
    as "the mayor" are not one office either; the rest of the question tells them apart."""
    quals = parse_role(phrase)[1] - _WEAK_KEYS
    named = quals - _COMMON_KEYS
    if not named or len({h.name for h in best}) < 2 or not all(h.date for h in best):
        return []
    if len({h.doc for h in best}) < 2:
        return []
    for h in best:
        own = parse_role(h.role)[1]
        if not (named & own and quals <= own | h.context):
            return []
    return sorted(best, key=lambda h: h.date)


def holder_at(phrase: str, best: Sequence[Holder], period: Period | None) -> list[Holder]:
    """The holders of an office that changed hands (``succession``) whom the question
    means: those of the articles of the month or year it names, else of the last article
    before that time; with no time named, the latest holder (a question asks about an
    office as it is now). ``best`` itself when the office did not change hands."""
    line = succession(phrase, best)
    if not line:
        return list(best)
    if period is not None:
        during = [h for h in line if period.holds(h.date)]
        if during:
            return during
        before = [h for h in line if period.ends_after(h.date)]
        if before:
            return [h for h in before if h.date == before[-1].date]
    return [h for h in line if h.date == line[-1].date]


def resolve_holder(
    phrase: str,
    holders: Iterable[Holder],
    order: Sequence[str] = (),
    period: Period | None = None,
) -> str:
    """The one person holding the office ``phrase`` names; "" when nobody or several fit.

    Several people fitting equally well (two towns' mayors, two countries' environment
    ministers, two museums' directors) are told apart by ``order``, the articles best
    first for the rest of the question ("… about the plastic ban"): the first of them
    holding one of those people decides. Within it, or without an order, the one whose
    role itself says it (not only its article), then the office itself rather than a
    neighbour; still several: "" rather than a guess. An office that changed hands between
    dated articles is first narrowed to its holder at the time the question names
    (``period``), or to its latest one (``holder_at``).
    """
    best = holder_at(phrase, best_holders(phrase, holders), period)
    for narrowed in (_first_in(best, order), best):
        if len({h.name for h in narrowed}) <= 1:
            if narrowed:
                return narrowed[0].name
            continue
        ranked = {
            h.name: (fit[0], fit[2]) if (fit := _fit(phrase, h)) else (0, 0) for h in narrowed
        }
        top = max(ranked.values())
        names = [name for name, rank in ranked.items() if rank == top]
        if len(names) == 1:
            return names[0]
        # The article the rest of the question finds holds several alike ("direttore
        # sanitario", "direttrice amministrativa"): it does not decide; all holders do.
    return ""


def _first_in(best: list[Holder], order: Sequence[str]) -> list[Holder]:
    """The holders in the first article of ``order`` that holds any of ``best``."""
    for doc in order:
        here = [h for h in best if h.doc == doc]
        if here:
            return here
    return []


def match_role(phrase: str, roles: dict[str, str], context: str = "") -> str:
    """The full name of the one person holding the office ``phrase`` names in one
    article's ``roles``, in either language ("the NATO Secretary General" finds
    "segretario generale della nato"); "" when nobody or more than one person fits.

    A bare office ("the mayor") is enough when one person holds it; ``context`` is the
    article's text, whose words may stand for qualifiers the role leaves out.
    """
    keys = context_keys(context) if context else frozenset()
    return resolve_holder(phrase, [Holder(name, role, "", keys) for role, name in roles.items()])


def _trim_prefix(role: str) -> str:
    words = role.split()
    while len(words) > 1 and fold(words[0]) in _NOT_PREFIX:
        words = words[1:]
    return " ".join(words)


def _line_start(text: str, start: int) -> int:
    """How far back from a name its role before it is looked for: its line, at most 120
    characters."""
    return max(text.rfind("\n", 0, start) + 1, start - 120)


def roles_in(
    text: str, people: list[tuple[int, int, str]], *, headline: str = ""
) -> dict[str, str]:
    """Normalised role phrase -> full name, from the appositions around each full name.

    ``people`` are (start, end, full name) spans of the names as written in full.
    The first holder of a role phrase in the article keeps it. ``headline``: the article's
    own headline, whose office may be the one its lede's subject holds.
    """
    roles: dict[str, str] = {}
    for start, end, name in people:
        if text.startswith(("'s", "’s"), end):
            continue  # "Benazir Bhutto's prime minister": someone else's office
        line_start = _line_start(text, start)
        after_name = (
            _ROLE_AFTER.match(text, end) or _APPOINTED.match(text, end) or _ROLE_IS.match(text, end)
        )
        found = [_ROLE_BEFORE.search(text, line_start, start), after_name]
        for m in found:
            if m is None:
                continue
            role = _SUCCESSION.sub("", m.group("role"))
            if m.re is _ROLE_BEFORE and (
                _ENDS_IN_LINK.search(text, m.start("role"), start) or role != m.group("role")
            ):
                continue  # the name is whom the office is of, or whom its holder replaced
            role = _SINCE_TAIL.sub("", role)
            key = normalise_role(_trim_prefix(role))
            lead = text[max(line_start, m.start("role") - 12) : m.end("role")]
            if _FORMER.search(lead) and parse_role(key)[0].split()[0] != "former":
                key = f"ex {key}"
            if key and parse_role(key)[0]:
                roles.setdefault(key, name)
        after = found[1].end() if found[1] is not None else end
        if m := _ROLE_WHO.match(text, after):
            office = _OFFICE_VERBS[" ".join(m.group("verb").lower().split())]
            link = "of" if office.isascii() and office in _ENGLISH_OFFICES else "di"
            roles.setdefault(normalise_role(f"{office} {link} {m.group('org')}"), name)
    if headline:
        _headline_office(headline, text, people, roles)
    _deputies(text, people, roles)
    _possessed_offices(text, people, roles)
    _plural_offices(text, people, roles)
    return _without_organisations(roles)


# Plural offices, each of its holders with their own portfolio: "i due assessori, Marco
# Pelizzari (Bilancio) e Rita Zanoncelli (Scuola)"; "gli assessori all'Agricoltura e al
# Commercio di Val Morana, rispettivamente X e Y".
_PLURAL_OFFICES = {
    "assessori": "assessore",
    "assessore": "assessore",  # "le assessore" (women)
    "consiglieri": "consigliere",
    "ministri": "ministro",
    "direttori": "direttore",
    "sindaci": "sindaco",
    "presidenti": "presidente",
    "councillors": "councillor",
    "ministers": "minister",
    "directors": "director",
    "mayors": "mayor",
}
_PLURAL_RX = "|".join(_PLURAL_OFFICES)
_PORTFOLIO = re.compile(r"\s*\((?P<port>(?-i:[A-ZÀ-Ö])[\w'’ -]{1,30})\)")
_PLURAL_BEFORE = re.compile(rf"(?i:\b(?:{_PLURAL_RX}))\b[^.;:!?\n]{{0,40}}$")
_RESPECTIVELY = re.compile(
    rf"(?i:\b(?P<office>{_PLURAL_RX}))\s+(?P<ports>(?:(?:{_LINKWORD})?[\w'’]+\s*(?:,|e|ed|and)?\s*){{2,8}}?)"
    rf"(?:(?P<of>(?:di|della|del|dei|delle)\s+[^,]{{2,40}}?))?"
    r"\s*,\s*(?:rispettivamente\s+)?$",
)


def _sentence_start(text: str, pos: int) -> int:
    """After the last full stop or line break before ``pos``: a list of offices and their
    holders does not run across sentences."""
    return max(text.rfind(".", 0, pos), text.rfind("\n", 0, pos)) + 1


def _plural_offices(text: str, people: list[tuple[int, int, str]], roles: dict[str, str]) -> None:
    """Adds to ``roles`` each holder of a plural office with their own portfolio."""
    for i, (start, end, name) in enumerate(people):
        if (port := _PORTFOLIO.match(text, end)) is not None:
            sent = _sentence_start(text, start)
            # The plural office before this name or before the list's first name.
            first = start
            for s0, _, _ in reversed(people[:i]):
                if s0 < sent:
                    break
                first = s0
            if m := _PLURAL_BEFORE.search(text, sent, first):
                word = re.match(r"\w+", m.group(0))
                assert word is not None  # _PLURAL_BEFORE starts at the office's word
                office = _PLURAL_OFFICES[word[0].lower()]
                key = normalise_role(f"{office} al {port['port']}")
                if parse_role(key)[0]:
                    roles.setdefault(key, name)
    # "..., rispettivamente X e Y": the n-th portfolio is the n-th name's.
    for m in re.finditer(r"\brispettivamente\s+", text):
        sent = _sentence_start(text, m.start())
        names = [p for p in people if m.end() <= p[0] < m.end() + 80]
        office_m = _RESPECTIVELY.search(text, sent, m.start())
        if office_m is None or len(names) < 2:
            continue
        ports = [
            w.strip()
            for w in re.split(r"\s*(?:,|\be\b|\bed\b|\band\b)\s*", office_m["ports"].strip())
            if w.strip()
        ]
        if len(ports) != len(names[: len(ports)]) or len(ports) < 2:
            continue
        office = _PLURAL_OFFICES[office_m["office"].lower()]
        # "della vicina Val Morana": the place, not its neighbourliness.
        of = re.sub(r"\b(?:vicina|vicino)\s+", "", f" {office_m['of']}") if office_m["of"] else ""
        for portfolio, (_, _, name) in zip(ports, names, strict=False):
            link = "" if re.match(_LINKWORD, portfolio + " ", re.IGNORECASE) else "al "
            key = normalise_role(f"{office} {link}{portfolio}{of}")
            if parse_role(key)[0]:
                roles.setdefault(key, name)


# "His deputy, Alisha Brennan", "La sua vice, Martina Pellacani": the deputy of the office
# the person just named holds.
_DEPUTY_OF = re.compile(
    r"(?:\b(?P<en>his|her|their)\s+deputy|\b(?:(?:il|la)\s+)?su[oa]\s+vice)\s*,?\s*$",
    re.IGNORECASE,
)


def _deputies(text: str, people: list[tuple[int, int, str]], roles: dict[str, str]) -> None:
    """Adds to ``roles`` the offices of deputies named by a possessive: the deputy of the
    last person named before them, in that person's own office (its most qualified one,
    not a deputy's or a former one); nothing when that person holds none."""
    for i, (start, _, name) in enumerate(people):
        m = _DEPUTY_OF.search(text, max(0, start - 30), start)
        if m is None:
            continue
        before = [p[2] for p in people[:i] if p[1] <= m.start() and p[2] != name]
        if not before:
            continue
        offices = [
            key
            for key, holder in roles.items()
            if holder == before[-1]
            and (head := parse_role(key)[0])
            and head.split()[0] not in _RANKED
        ]
        if offices:
            best = max(offices, key=lambda k: len(parse_role(k)[1]))
            rank = "deputy" if m["en"] else "vice"
            roles.setdefault(normalise_role(f"{rank} {best}"), name)


_RANKED = frozenset(_RANKS.values())

# "Secondo il suo presidente, Nunzio Aricò", "its chief executive Graham Pike": the office
# of the organisation named just before, which the possessive stands for.
_POSSESSIVE_BEFORE = re.compile(r"\b(?:(?P<it>su[oa]|loro)|(?P<en>its|their))\s+$", re.IGNORECASE)
_ORG_NOUNS = (
    "associazione|comitato|consorzio|sindacato|federazione|fondazione|cooperativa|azienda"
    "|società|societa|gruppo|istituto|ospedale|museo|comune|agenzia|autorità|autorita"
    "|trust|council|association|committee|union|company|group|charity|board|foundation"
    "|federation|authority|agency|club|firm|hospital|museum|university|università"
)
# An article, the organisation's name words and kind ("l'associazione ambientalista Onda
# Brunea", "The Halberton and Dene hospital trust"): an Italian adjective after the kind,
# capitalised words after it.
_OWNER_ORG = re.compile(
    r"(?:\b(?:the|il|lo|la)\s+|\bl['’]\s*)(?P<org>(?:(?-i:[A-ZÀ-Ö])[\w'’-]*\s+(?:and\s+|e\s+)?){0,4}"
    rf"(?:[a-zà-ÿ-]+\s+){{0,2}}(?:{_ORG_NOUNS})\b"
    r"(?:\s+[a-zà-ÿ]+(?:ista|iste|ale|ali|ana|ano|ica|ico|iva|ivo))?(?:\s+(?-i:[A-ZÀ-Ö])[\w'’-]*){0,3})",
    re.IGNORECASE,
)


def _possessed_offices(
    text: str, people: list[tuple[int, int, str]], roles: dict[str, str]
) -> None:
    """Adds to ``roles`` the office a possessive gives a person ("il suo presidente", "its
    chief executive") as the office of the organisation named last before it, in that
    sentence or the one before: the association's president, the trust's chief
    executive, which a question names ("the president of Onda Brunea")."""
    for start, _, name in people:
        m = _ROLE_BEFORE.search(text, _line_start(text, start), start)
        if m is None:
            continue
        owner = _POSSESSIVE_BEFORE.search(text, max(0, m.start("role") - 10), m.start("role"))
        if owner is None:
            continue
        orgs = list(_OWNER_ORG.finditer(text, max(0, owner.start() - 300), owner.start()))
        if not orgs:
            continue
        link = "of" if owner["en"] else "di"
        key = normalise_role(f"{_trim_prefix(m.group('role'))} {link} {orgs[-1]['org']}")
        if parse_role(key)[0]:
            roles.setdefault(key, name)


def _headline_office(
    headline: str, text: str, people: list[tuple[int, int, str]], roles: dict[str, str]
) -> None:
    """The office a headline names without a name ("Stellbourne council leader backs
    toll-free bridge", "l'assessora alla Mobilità presenta il piano") is that of the
    person the lede opens with ("Tobias Wrenfield said on Thursday ..."): only when the
    headline names none of the article's people and nobody else holds that office."""
    m = _HEADLINE_ROLE.search(headline)
    if m is None or not (office := parse_role(m["role"]))[0]:
        return
    # Whole words: 'King' is not named by 'parking', nor 'Hall' by 'shall'.
    if {_tokens(n)[-1] for _, _, n in people if _tokens(n)} & set(_tokens(headline)):
        return  # the headline names its person: the body says what office they hold
    dl = parse_dateline(text)
    body = dl.end if dl is not None else 0
    body += len(text[body:]) - len(text[body:].lstrip())
    first = next((p for p in people if p[0] >= body), None)
    if first is None or first[0] != body:
        return
    if any(parse_role(k) == office and n != first[2] for k, n in roles.items()):
        return
    roles.setdefault(normalise_role(_trim_prefix(m["role"])), first[2])


_ENGLISH_OFFICES = frozenset(("chair", "head", "leader", "founder"))


def _without_organisations(roles: dict[str, str]) -> dict[str, str]:
    """``roles`` without the "holders" that are organisations: a name finder reads "Acqua
    Chiara" in "la presidente dell'associazione di consumatori Acqua Chiara, Loredana
    Pizzighetti" as a person, and the office before it as Acqua Chiara's. A name that is
    part of another holder's office is that office's organisation."""
    keyed = {name: f" {normalise_role(name)} " for name in set(roles.values())}
    orgs = {
        name
        for name, key in keyed.items()
        if any(key in f" {role} " for role, other in roles.items() if other != name)
    }
    return {role: name for role, name in roles.items() if name not in orgs}


def with_place(roles: dict[str, str], place: str, text: str = "") -> dict[str, str]:
    """The roles of a briefing filed from ``place`` with that place as one more qualifier:
    in a Lagonero briefing "il sindaco" is the mayor of Lagonero, and a question asks for
    him so ("the mayor of Lagonero") though the article never writes it. Not a role that
    names a place or body of its own, capitalised in ``text`` ("la sindaca di Pietralba"
    in a briefing filed from Roccafiora is not Roccafiora's mayor)."""
    town = place.split("(")[0].strip()
    if not town:
        return roles
    # Names: words the article capitalises and never writes in lower case ('Festival' in a
    # headline is the festival).
    lower = {fold(w).lower() for w in re.findall(r"(?<![\w'’])[a-zà-ÿ][\w-]*", text)}
    proper = frozenset(
        k
        for w in _CAPITALISED.findall(text)
        if (f := fold(w).lower()) not in lower and f not in _FILLER
        for k in _qualifier(f)
    )
    out = dict(roles)
    for key, name in roles.items():
        if fold(town).lower() in key:
            continue
        own = parse_role(key)[1] - _COMMON_KEYS - {cognate(fold(name.split()[-1]).lower())}
        if own & proper:
            continue
        out.setdefault(normalise_role(f"{key} {town}"), name)
    return out


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
