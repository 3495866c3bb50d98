"""Verbs of saying, Italian and English, in every tense wire copy reports speech in.

One lexicon of verbs (by infinitive) times one table of tense forms, instead of a list of
the forms someone happened to meet: agency copy writes "ha dichiarato", "dichiara",
"dichiarava", "aveva dichiarato", "ha voluto dichiarare", "dichiarando", and a verb
found in one tense is found in all of them. Used by ``rag.quotes`` for direct quotes
(the verb next to a quotation) and for reported speech (the verb before "che"/"that").
"""

from __future__ import annotations

import re

# Infinitive -> (present 3rd person, imperfect, past participle, gerund), for the verbs
# whose forms do not follow the -are pattern (dichiarare: dichiara, dichiarava,
# dichiarato, dichiarando).
_IRREGULAR: dict[str, tuple[str, str, str, str]] = {
    "dire": ("dice", "diceva", "detto", "dicendo"),
    "aggiungere": ("aggiunge", "aggiungeva", "aggiunto", "aggiungendo"),
    "ribadire": ("ribadisce", "ribadiva", "ribadito", "ribadendo"),
    "avvertire": ("avverte", "avvertiva", "avvertito", "avvertendo"),
    "chiarire": ("chiarisce", "chiariva", "chiarito", "chiarendo"),
    "ammettere": ("ammette", "ammetteva", "ammesso", "ammettendo"),
    "sostenere": ("sostiene", "sosteneva", "sostenuto", "sostenendo"),
    "garantire": ("garantisce", "garantiva", "garantito", "garantendo"),
    "promettere": ("promette", "prometteva", "promesso", "promettendo"),
    "riferire": ("riferisce", "riferiva", "riferito", "riferendo"),
    "concludere": ("conclude", "concludeva", "concluso", "concludendo"),
    "ammonire": ("ammonisce", "ammoniva", "ammonito", "ammonendo"),
    "riconoscere": ("riconosce", "riconosceva", "riconosciuto", "riconoscendo"),
    "rispondere": ("risponde", "rispondeva", "risposto", "rispondendo"),
    "insistere": ("insiste", "insisteva", "insistito", "insistendo"),
    "scrivere": ("scrive", "scriveva", "scritto", "scrivendo"),
    "chiedere": ("chiede", "chiedeva", "chiesto", "chiedendo"),
    "proporre": ("propone", "proponeva", "proposto", "proponendo"),
    "suggerire": ("suggerisce", "suggeriva", "suggerito", "suggerendo"),
    "prevedere": ("prevede", "prevedeva", "previsto", "prevedendo"),
    "far sapere": ("fa sapere", "faceva sapere", "fatto sapere", "facendo sapere"),
    "rendere noto": ("rende noto", "rendeva noto", "reso noto", "rendendo noto"),
    "far notare": ("fa notare", "faceva notare", "fatto notare", "facendo notare"),
    "far presente": ("fa presente", "faceva presente", "fatto presente", "facendo presente"),
    "credere": ("crede", "credeva", "creduto", "credendo"),
    "mettere in chiaro": (
        "mette in chiaro",
        "metteva in chiaro",
        "messo in chiaro",
        "mettendo in chiaro",
    ),
    "mettere in guardia": (
        "mette in guardia",
        "metteva in guardia",
        "messo in guardia",
        "mettendo in guardia",
    ),
    "ribattere": ("ribatte", "ribatteva", "ribattuto", "ribattendo"),
    "ritenere": ("ritiene", "riteneva", "ritenuto", "ritenendo"),
    "proseguire": ("prosegue", "proseguiva", "proseguito", "proseguendo"),
    "esordire": ("esordisce", "esordiva", "esordito", "esordendo"),
}
_REGULAR = """
    dichiarare affermare spiegare sottolineare precisare ricordare evidenziare osservare
    rilevare assicurare annunciare confermare commentare denunciare indicare segnalare
    replicare anticipare raccontare stimare notare puntualizzare auspicare lamentare
    ipotizzare rivelare comunicare confidare obiettare testimoniare scherzare avvisare
    rimarcare rivendicare tuonare incalzare rassicurare chiosare sentenziare specificare
    continuare informare svelare minacciare annotare argomentare
""".split()


def _forms(infinitive: str) -> tuple[str, str, str, str]:
    if infinitive in _IRREGULAR:
        return _IRREGULAR[infinitive]
    stem = infinitive[:-3]  # dichiar-are
    return stem + "a", stem + "ava", stem + "ato", stem + "ando"


IT_INFINITIVES: tuple[str, ...] = tuple(sorted({*_IRREGULAR, *_REGULAR}))
_TABLE = {inf: _forms(inf) for inf in IT_INFINITIVES}


def _alternation(words: set[str] | list[str]) -> str:
    """The words as one regex trie ('dic(?:e|eva)'): Python's engine tries an alternation's
    branches one by one at every position, so a few hundred flat branches would make the
    scan of every article several times slower. Longer words win ('fatto sapere' over
    'fatto'); a space matches any run of whitespace."""
    tree: dict[str, dict] = {}
    for word in (w.replace("_", " ") for w in words):
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alts = [
            (r"\s+" if ch == " " else re.escape(ch)) + build(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:  # a word ends here, and longer ones go on
            return (body if len(alts) > 1 else "(?:" + body + ")") + "?"
        return body

    return build(tree)


IT_PARTICIPLES = _alternation({forms[2] for forms in _TABLE.values()})
IT_FINITE = _alternation({f for forms in _TABLE.values() for f in forms[:2]})
IT_GERUNDS = _alternation({forms[3] for forms in _TABLE.values()})
IT_INFINITIVE = _alternation(set(IT_INFINITIVES))


def _with_clitic(infinitive: str) -> str:
    """The clitic joins the verb, not the phrase: 'renderlo noto', 'farlo sapere',
    'metterlo in chiaro', as 'dirlo'."""
    verb, *rest = infinitive.split()
    verb = verb[:-1] + "lo" if verb.endswith("e") else verb + "lo"
    return " ".join([verb, *rest])


# 'Ad annunciarlo è stata la direttrice', 'A renderlo noto è stato il presidente': the
# infinitive with its clitic.
IT_CLITIC_INFINITIVE = _alternation({_with_clitic(i) for i in IT_INFINITIVES})
IT_ADVERBS = r"poi|anche|inoltre|quindi|infine|già|però|invece|ancora|subito|oggi|ieri|pure"
_AUXILIARY = r"ha|aveva|avrebbe|hanno|avevano|avrà|avranno"
# 'ha voluto sottolineare', 'ha tenuto a precisare', 'vuole ricordare': the modal carries
# the tense, the infinitive the saying.
_MODAL = r"voluto|tenuto\s+a|potuto|dovuto|vuole|tiene\s+a|voleva|teneva\s+a"
_ADV = rf"(?:(?:{IT_ADVERBS})\s+){{0,2}}"
# 'si è detto convinto che', 'si è detta fiduciosa che', 'si dice sicuro che'.
_STANCE = r"convint|sicur|cert|fiducios|ottimist|pessimist|preoccupat|persuas|soddisfatt"
IT_REFLEXIVE = (
    rf"si\s+(?:è|era|sarebbe)\s+dett[oaie]\s+(?:{_STANCE})[oaie]|si\s+dice\s+(?:{_STANCE})[oaie]"
    rf"|dicendosi\s+(?:{_STANCE})[oaie]|(?:(?<=è\s)|(?<=era\s))(?:convint|sicur|persuas|fiducios)[oaie]"
)
# An indirect question ('si è chiesto perché ...', 'ha domandato se ...'): reported speech
# when 'se'/'perché' follows (rag.quotes checks that).
IT_ASKING = (
    r"si\s+(?:è|era)\s+(?:chiest|domandat)[oaie]|si\s+(?:chiede|chiedeva|domanda|domandava)"
    r"|(?:ha|aveva|avrebbe)\s+domandato"
)
# A denial denied says the thing may be so: 'non ha escluso che', 'non nasconde che'. The
# plain denial ('ha smentito che') is not here: its clause is the opposite of what was said.
IT_NOT_DENYING = (
    rf"non\s+(?:(?:{_AUXILIARY})\s+{_ADV})?(?:esclus[oa]|esclude|escludeva|nascost[oa]|nasconde"
    r"|nascondeva|negato|nega|negava)"
)

IT_REPORTING = (
    rf"(?:{_AUXILIARY})\s+{_ADV}(?:(?:{_MODAL})\s+{_ADV}(?:{IT_INFINITIVE})|{IT_PARTICIPLES})"
    rf"|(?:vuole|tiene\s+a)\s+(?:{IT_INFINITIVE})|{IT_REFLEXIVE}|{IT_ASKING}|{IT_NOT_DENYING}"
    rf"|{IT_FINITE}|{IT_GERUNDS}"
)

EN_REPORTING = _alternation(
    """
    said says told tells warned warns added adds insisted insists
    explained explains stressed stresses argued argues noted notes claimed claims
    admitted admits confirmed confirms announced announces believes acknowledged conceded maintained
    predicted predicts revealed suggested suggests pointed_out points_out declared emphasised emphasized reiterated
    assured promised estimated concluded complained hinted indicated replied responded observed
    cautioned recalled stated states asserted contended reckons vowed pledged disclosed
    wrote writes adding saying warning insisting arguing explaining stressing noting
    asked asks wondered commented highlighted underlined remarked alleged testified boasted
    concedes admits acknowledges announces agreed
    """.split()
    # 'pointed_out': one entry of two words
) + (
    # 'He did not rule out that ...': see IT_NOT_DENYING.
    r"|(?:did|does|would|could|will)\s+not\s+rule\s+out|(?:did|does|would|could)n['’]t\s+rule"
    r"\s+out|(?:has|have|had)\s+not\s+ruled\s+out|refused\s+to\s+rule\s+out"
)
# Verbs that report a question: their clause follows 'se'/'perché'/'whether'/'if' (and
# after 'asked', only that: 'asked that ...' is a request).
ASKING = re.compile(
    r"(?:.*\s)?(?:asked|asks|wondered|chiest[oaie]|chiede|chiedeva|domandat[oaie]|domanda"
    r"|domandava)",
    re.IGNORECASE,
)
# English verbs that attribute a quotation next to them ('"...," she said'). Narrower than
# the reporting verbs: after a closing mark, '... New Labour had promised' is the story
# going on, not who spoke.
EN_QUOTING = _alternation(
    """
    said says added told explained insisted warned stated argued noted claimed commented
    continued admitted believes according_to acknowledged stressed declared remarked
    suggested replied responded observed announced wrote confirmed agreed revealed
    predicted conceded asked urged maintained pointed_out complained argues adds warns
    explains insists tells notes concluded joked recalled admits
    """.split()
)
