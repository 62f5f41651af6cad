"""Multilingual line patterns shared by the cleanup rules and copy detection.

Languages covered: en, es, pt, fr, de, it, ru; read-more prompts also nl, pl, tr. Patterns that remove a line are matched against the
WHOLE line (``fullmatch``) so that a real sentence merely containing "read more" or "share" survives.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE | re.UNICODE

# Punctuation and arrows that decorate boilerplate links ("Read more »", "→ Share", "READ MORE:").
EDGE_DECORATION = " \t:»«›‹>→←|•·*#-–—.…\u00a0▶►"

# Whole-line navigation / sharing / promo labels.
_LABELS = [
    # en
    r"read (?:more|more here|next|also|the full (?:story|article))",
    r"(?:[\w' ]{1,30} )?newsletters?",
    r"(?:sign up|subscribe) (?:for|to) (?:our|the) (?:free )?newsletters?",
    r"(?:also|read) read",
    r"continue reading",
    r"related(?: articles?| posts?| stories| news| content| coverage| topics| reading)?",
    r"more (?:stories|news|articles|on this story|from \w+(?: \w+)?)",
    r"see also",
    r"more",
    r"also read",
    r"you (?:may|might) also like",
    r"recommended(?: for you| stories| articles)?",
    r"(?:trending|popular)(?: now| stories)?",
    r"most (?:read|popular|viewed)",
    r"back to top(?: button)?",
    r"scroll to top",
    (
        r"share(?: this| this article| this story| this post| this page| the article| article)?"
        r"(?: on (?:facebook|twitter|x|whatsapp|linkedin|telegram|email|reddit))?"
    ),
    r"share via(?: email)?",
    r"(?:tweet|print|email|e-mail|copy link|link copied|comments?|tags?|advertisement|sponsored(?: content)?)",
    r"follow us(?: on [\w ]{1,40})?",
    r"like us on facebook",
    r"leave a (?:comment|reply)",
    r"skip (?:to (?:main )?content|ad|advertisement)",
    r"thanks? (?:you )?for (?:signing up|subscribing)!?",
    r"don'?t miss(?: out)?!?",
    r"see more",
    r"click here to (?:subscribe|sign up)\b.{0,80}",
    r"click here to (?:get|download) the [\w ]{1,40} app",
    r"(?:order|print) reprints?",
    r"print (?:this )?(?:article|page|story)",
    r"tell us what you think\W*",
    # es
    r"le(?:er|e) (?:más|también|mas|tambien)",
    r"(?:sigue|seguir) leyendo",
    r"(?:noticias|artículos|articulos|notas) relacionad[oa]s",
    r"(?:también )?te puede interesar",
    r"compart(?:ir|e)(?: en \w+| esta noticia| este artículo)?",
    r"síguenos(?: en [\w ]{1,40})?",
    r"volver (?:arriba|al inicio)",
    r"publicidad",
    r"temas(?: relacionados)?",
    r"contenidos? relacionados?",
    r"más sobre [\w ]{1,40}",
    # pt
    r"leia (?:mais|também|tambem)",
    r"saiba mais",
    r"veja (?:também|tambem|mais)",
    r"continu(?:e|ar) lendo",
    r"(?:notícias|noticias|artigos|matérias|materias) relacionad[oa]s",
    r"você (?:pode|também pode) gostar",
    r"compartilh(?:e|ar)(?: no \w+| esta notícia)?",
    r"siga-nos(?: n[oa] [\w ]{1,40})?",
    r"voltar ao topo",
    r"publicidade",
    # fr
    r"(?:à |a )?lire (?:aussi|la suite|plus|également)",
    r"voir aussi",
    r"articles? (?:similaires|liés|connexes)",
    r"sur le même sujet",
    r"partage[rz](?: sur \w+| cet article)?",
    r"suivez-nous(?: sur [\w ]{1,40})?",
    r"retour en haut(?: de la page)?",
    r"publicité",
    # de
    r"mehr lesen",
    r"schon gelesen\??",
    r"das (?:thema )?könnte (?:dich|sie) auch interessieren",
    r"weitere (?:artikel|themen|beiträge|nachrichten|meldungen)(?: zum thema| aus [\w ]{1,40})?",
    r"(?:kommentierte|meistgelesene|beliebte) artikel",
    r"beiträge aus dem forum",
    r"(?:zum )?newsletter anmelden",
    r"keine kommentare",
    r"weiterlesen",
    r"lesen sie (?:auch|mehr)",
    r"mehr zum thema",
    r"auch interessant",
    r"das könnte sie auch interessieren",
    r"(?:ähnliche|verwandte) artikel",
    r"(?:artikel )?teilen(?: auf \w+)?",
    r"folgen sie uns(?: auf [\w ]{1,40})?",
    r"(?:zurück )?nach oben",
    r"anzeige",
    r"werbung",
    # it
    r"leggi (?:anche|di più|tutto|l'articolo)",
    r"continua a leggere",
    r"articoli correlati",
    r"(?:ti )?potrebbe (?:interessarti|interessare)",
    r"condividi(?: su \w+)?",
    r"seguici(?: su [\w ]{1,40})?",
    r"torna (?:su|in alto)",
    r"pubblicità",
    # ru
    r"читайте (?:также|тоже)",
    r"читать (?:далее|дальше|полностью)",
    r"подробнее",
    r"похожие (?:статьи|новости|материалы)",
    r"по теме",
    r"поделиться",
    r"подписывайтесь(?: на нас)?(?: в [\w ]{1,40})?",
    r"наверх",
    r"реклама",
    # nl, pl, tr
    r"lees (?:ook|meer|verder)",
    r"gerelateerde (?:artikelen|berichten)",
    r"(?:czytaj|zobacz|przeczytaj) (?:też|także|również|więcej)",
    r"powiązane artykuły",
    r"ilgili (?:haberler|içerikler)",
    r"(?:ayrıca okuyun|devamını oku)",
]
LABEL_RE = re.compile("(?:" + "|".join(_LABELS) + ")", _I)

# "Read more <headline>": a read-more prefix followed by a headline-like rest.
READ_MORE_PREFIX_RE = re.compile(
    r"(?:read (?:more|also|next)|also read|see (?:also|more)|more on this|don'?t miss|"
    r"le(?:er|e) (?:más|también)|leia (?:mais|também)|veja também|saiba mais|"
    r"(?:à |a )?lire aussi|voir aussi|lesen sie (?:auch|mehr)|mehr zum thema|"
    r"leggi anche|читайте (?:также|тоже)|по теме|"
    r"lea (?:más|también|además)|vea (?:también|más)|(?:le|te) puede interesar|"
    r"lesen sie (?:hier|auch|mehr)|auch lesen|"
    r"lees (?:ook|meer)|(?:czytaj|zobacz|przeczytaj) (?:też|także|również)|ayrıca (?:okuyun|bakınız))"
    r"(?P<sep>\s*[:»›>|\-–—]+)?\s+(?P<rest>\S.*)",
    _I,
)
# With an explicit separator even "Related: ..." and "More: ..." are links to other stories.
# Short imperatives ("Lea:", "MIRA:", "Watch:") are prompts only with the separator: "Mira cómo
# ..." can open a sentence.
SEP_PREFIX_RE = re.compile(
    r"(?:related|more|relacionad[oa]s?|mehr|plus|также|lea|le[ae]|mir[ae]|vea|watch|listen|"
    r"veja|leia|lire|lesen)\s*[:»›|]\s*(?P<rest>\S.*)",
    _I,
)

# A line that is only a date and/or time, perhaps labelled ("Aktualisiert am 17.01.2021",
# "24. März 2004, 19:49", "January 13, 2020 at 08:45 AM"): the page's dateline, not text.
_MONTH = r"[^\W\d_]{3,10}\.?"
_DATE = (
    rf"(?:\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{2,4}}|\d{{1,2}}\.?\s*(?:de\s+)?{_MONTH}\s*(?:de\s+)?\d{{4}}|"
    rf"{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})"
)
_TIME = r"\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?|uhr|h)?"
DATE_ONLY_RE = re.compile(
    r"(?:(?:updated|published|posted|last (?:modified|updated)|aktualisiert|veröffentlicht|"
    r"erstellt|stand|publié|mis à jour|actualizado|publicado|atualizado|aggiornato|pubblicato|"
    r"обновлено|опубликовано)(?: (?:on|am|le|el|em|il))?\s*:?\s*)?"
    rf"(?:{_MONTH},?\s+)?(?:{_DATE}(?:\s*(?:,|at|um|à|a las|às|alle|-|\|)?\s*{_TIME})?|\d{{1,2}}:\d{{2}})"
    r"(?:\s*(?:uhr|[A-Z]{2,4}|\(\w+\)))?",
    _I,
)

NEWSLETTER_WORD_RE = re.compile(
    r"newsletter|boletín|boletim|infolettre|lettre d'information|рассылк|your inbox|tu bandeja|"
    r"sua caixa de entrada|votre boîte|ihr postfach|la tua casella",
    _I,
)
NEWSLETTER_ACTION_RE = re.compile(
    # an imperative that begins the line or a sentence in it ("There's plenty more where that came
    # from. Sign up for The Water Coolest today ..."), not a clause ("readers who sign up for ...")
    r"(?:^|(?<=[.!?…])\s+)(?:sign ?up|subscribe|get (?:our|the)|join|register|enter your e-?mail|don'?t miss|"
    r"suscr[ií]bete|reg[ií]strate|recibe|"
    r"assine|inscreva-se|cadastre-se|receba|"
    r"inscrivez-vous|abonnez-vous|recevez|"
    r"abonnieren|melden sie sich|jetzt anmelden|erhalten sie|"
    r"iscriviti|ricevi|"
    r"подпишитесь|подписывайтесь|получайте)"
    r"|(?:to|for) our (?:free |daily |weekly )?newsletter|nossa newsletter|notre (?:newsletter|lettre)|"
    r"unseren? newsletter|nuestr[oa] (?:newsletter|boletín)|la nostra newsletter|нашу рассылку",
    _I,
)
# A line that opens by asking the reader to subscribe, sign up or join: a promo, whatever follows
# ("Subscribe now to our e-edition for the full story", "HAZTE MIEMBRO Y DISFRUTA ...").
SIGNUP_PROMPT_RE = re.compile(
    r"(?:subscribe (?:now|today|to (?:our|the))|"
    r"sign up (?:now|today|to (?:get|receive|our)|for (?:our|free))|register (?:now|for free)|"
    r"get (?:the|our) [\w'’ ]{1,40} (?:by|via|in your) e-?mail|"
    r"suscr[ií]bete (?:a|ahora|ya)|hazte (?:miembro|socio)|reg[ií]strate (?:gratis|ahora)|"
    r"jetzt (?:abonnieren|registrieren)|abonnieren sie|registrieren sie sich|"
    r"abonnez-vous|inscrivez-vous|iscriviti (?:alla|ora)|abbonati (?:ora|a)|"
    r"assine (?:já|agora|a)|inscreva-se)\b.{0,200}",
    _I,
)
# The outlet's own app or channel advertised in a line ("For the latest stories download the X apps
# for iOS and Android", "Únete a nuestro canal de Telegram", "¡Mira lo que tiene nuestro canal de
# YouTube!"): a platform named together with an invitation that opens a sentence, or with "our
# channel/app". A report about an app ("Users can download the app for iOS and Android from
# Monday") has the platform but neither: the verb does not open its sentence, nothing is "ours".
PLATFORM_RE = re.compile(
    r"\b(?:ios|android|app ?store|google play|telegram|whatsapp|youtube|instagram|facebook|twitter|"
    r"tiktok|spotify|apple podcasts|linkedin|телеграм\w*|вконтакте|ютуб\w*)\b",
    _I,
)
CHANNEL_INVITE_RE = re.compile(
    # not "get", "watch", "look" ("Get ready for iOS 18", "Watch out for fake WhatsApp messages"),
    # nor "follow": the AEB gold keeps "Follow NBC Latino on Facebook, Twitter and Instagram." as
    # the article's own last line ("follow us" labels are navigation/share labels)
    r"(?:^|(?<=[.!?…¡¿])\s*)(?:[¡¿]\s*)?(?:download|install|join|subscribe|"
    r"descarga|descargue|instala|únete|únase|suscríbete|"
    r"baixe|instale|junte-se|inscreva-se|"
    r"téléchargez|installez|rejoignez|abonnez-vous|"
    r"laden sie|abonnieren sie|"
    r"scarica|installa|unisciti|iscriviti|"
    r"скачайте|установите|подпишитесь|присоединяйтесь)\b"
    r"|^for (?:the latest|more|all the latest|breaking)\b.{0,100}?\b(?:download|subscribe|join)\b"
    r"|\b(?:our|nuestr[oa]s?|unser\w*|notre|nos|noss[oa]s?|nostr[oa]|наш\w*)\s+(?:[\w.]+\s+){0,2}?"
    r"(?:apps?|application|aplicación|aplicativo|applicazione|canal|channel|kanal|chaîne|canale|канал\w*)\b",
    _I,
)
# A site's advertising or affiliate disclosure ("This post contains references to products from
# one or more of our advertisers", "advertisers do not influence our picks", "Dieser Beitrag enthält
# Werbung", "we may earn a commission"): said of the page itself or by the site in the first person,
# never a report about advertising ("Amazon cut its affiliate commission rates").
DISCLOSURE_RE = re.compile(
    r"\b(?:this|the) (?:post|article|page|story|site|review|guide|content)\b[^.!?]{0,40}?"
    r"\b(?:contains?|includes?|may contain)\b[^.!?]{0,30}?"
    r"\b(?:affiliate links?|references to products|sponsored (?:links|content)|paid (?:links|advertising))"
    r"|\b(?:we|i)\b(?: (?:may|might|could))? (?:earn|receive|get) (?:a )?(?:small )?"
    r"(?:commission|compensation|affiliate commission|share of (?:the )?(?:sales|revenue))"
    r"|\badvertisers? (?:do(?:es)? not|don'?t) influence"
    r"|\b(?:dieser|der) (?:beitrag|artikel|post|text)\b[^.!?]{0,30}?\benthält\b[^.!?]{0,20}?"
    r"\b(?:werbung|affiliate|anzeigen|provisions)"
    r"|\b(?:est[ea]|el|la) (?:artículo|página|post|nota)\b[^.!?]{0,30}?\bcontiene\b[^.!?]{0,20}?"
    r"\benlaces (?:de )?afiliad"
    r"|\b(?:cet|cette|l') ?(?:article|page)\b[^.!?]{0,30}?\bcontient\b[^.!?]{0,20}?"
    r"\bliens (?:affiliés|d'affiliation|sponsorisés)"
    r"|\b(?:questo|quest'|l') ?(?:articolo|post|pagina)\b[^.!?]{0,30}?\bcontiene\b[^.!?]{0,20}?"
    r"\blink (?:di )?affilia"
    r"|\b(?:est[ea]|o|a) (?:artigo|página|post)\b[^.!?]{0,30}?\bcontém\b[^.!?]{0,20}?\blinks (?:de )?afiliad"
    r"|\b(?:podemos|pode(?:mos)?) (?:receber|recibir|obtener|ganar) (?:una |uma )?comis(?:ión|ion|são)"
    r"|\bnous (?:pouvons )?(?:percevoir|percevons|touchons|toucher) une commission"
    r"|\b(?:possiamo )?(?:ricevere|riceviamo|guadagnare|guadagniamo) una commissione",
    _I,
)
COOKIE_RE = re.compile(
    r"(?:we|this (?:web)?site|our (?:web)?site) uses? cookies|accept (?:all )?cookies|"
    r"cookie (?:policy|settings|preferences|consent)|(?:utilizamos|usamos) cookies|"
    r"utilizziamo (?:i )?cookie|nous utilisons des cookies|ce site utilise des cookies|"
    r"wir verwenden cookies|diese website verwendet cookies|"
    r"(?:используем|использует) (?:файлы )?cookie",
    _I,
)

# Aggregator about-us blurbs: a paragraph needs two of these signals (one alone can be news).
AGGREGATOR_SIGNALS = [
    re.compile(
        r"automatic aggregator|automatischer? aggregator|agregador automático|"
        r"agrégateur automatique|aggregatore automatico|автоматическ\w* агрегатор",
        _I,
    ),
    re.compile(
        r"hyperlink to the (?:primary|original) source|link to the (?:primary|original) source|"
        r"(?:enlace|hipervínculo) a la fuente|link para a fonte|hiperlink para a fonte|"
        r"lien (?:hypertexte )?vers la source|link alla fonte|link zur (?:original)?quelle|"
        r"гиперссылк\w* на (?:перво)?источник",
        _I,
    ),
    re.compile(
        r"trademarks belong to|marcas (?:registradas )?(?:pertenecen|pertencem)|"
        r"marques appartiennent|marchi (?:registrati )?appartengono|marken gehören|"
        r"товарные знаки принадлежат",
        _I,
    ),
    re.compile(
        r"materials? (?:belong )?to (?:their|the) authors|materiales? (?:pertenecen )?a sus autores|"
        r"materiais (?:pertencem )?aos seus autores|(?:contenus|matériaux) (?:appartiennent )?à leurs auteurs|"
        r"materiali (?:appartengono )?ai (?:loro|rispettivi) autori|materialien (?:gehören )?ihren autoren|"
        r"материалы (?:принадлежат )?(?:их )?авторам|content belongs to (?:its|their) authors",
        _I,
    ),
    re.compile(
        r"deleted within 24 hours|removed within 24 hours|eliminad[oa] en (?:un plazo de )?24 horas|"
        r"(?:excluíd|removid)[oa] em 24 horas|supprimée? (?:dans les|sous) 24 heures|"
        r"(?:eliminat|rimoss)[oa] entro 24 ore|innerhalb von 24 stunden gelöscht|"
        r"удален\w* в течение 24 часов",
        _I,
    ),
    re.compile(
        r"do not want us to publish|no desea que publiquemos|não deseja que publiquemos|"
        r"ne souhaitez pas que nous publiions|non desidera che pubblichiamo|"
        r"nicht möchten, dass wir|не хотите, чтобы мы",
        _I,
    ),
]


# One pass instead of six: each signal is a named group; a paragraph's score is the number of
# distinct groups that match. A substring test rules out almost every paragraph first.
_AGGREGATOR_ANY = re.compile(
    "|".join(f"(?P<s{i}>{rx.pattern})" for i, rx in enumerate(AGGREGATOR_SIGNALS)), _I
)
# For each signal above, substrings every one of its variants contains. A paragraph that does
# not hold stems of two different signals cannot score 2, so most skip the regex entirely.
_SIGNAL_STEMS: tuple[tuple[str, ...], ...] = (
    ("aggregat", "agregad", "agrégat", "агрегат"),
    ("link", "enlace", "hipervínculo", "lien ", "гиперссылк"),
    ("trademark", "marcas", "marques", "marchi", "marken", "товарн"),
    ("author", "autor", "auteur", "автор"),
    ("24",),
    ("want us", "desea que", "deseja que", "souhaitez", "desidera", "möchten", "хотите"),
)
AGGREGATOR_STEMS = tuple(stem for group in _SIGNAL_STEMS for stem in group)
_ANY_STEM_RE = re.compile("|".join(map(re.escape, AGGREGATOR_STEMS)))


def aggregator_signal_count(text: str) -> int:
    """How many distinct about-us blurb signals ``text`` holds."""
    low = text.lower()
    if len(text) < 40 or not _ANY_STEM_RE.search(low):  # almost every paragraph stops here
        return 0
    if sum(any(s in low for s in group) for group in _SIGNAL_STEMS) < 2:
        return 0
    return len({m.lastgroup for m in _AGGREGATOR_ANY.finditer(text)})


NEWSLETTER_STEMS = (
    "newsletter",
    "boletín",
    "boletim",
    "infolettre",
    "lettre d",
    "рассылк",
    "inbox",
    "bandeja",
    "caixa de entrada",
    "boîte",
    "postfach",
    "casella",
)

# "<Name> Team" / "Redação <Name>" bylines that aggregators print at the end.
TEAM_BYLINE_RE = re.compile(
    r"(?:[\w.&'’-]+ ){0,4}(?:team|staff|desk|newsroom|redaktion|redacción|redação|rédaction|"
    r"redazione|equipo|equipe|équipe|команда|редакция)"
    r"|(?:equipo|equipe|équipe|redacción|redação|rédaction|redazione|redaktion|команда|редакция)"
    r"(?: [\w.&'’-]+){1,4}",
    _I,
)

# Photo credits. A credit fragment is a line such as "AFP via Getty Images)" or "Photo: Reuters".
AGENCIES = (
    r"getty(?: images)?|afp|reuters|ap(?: photo)?|associated press|epa(?:-efe)?|efe|shutterstock|"
    r"alamy|pa(?: images| wire| media| archive)?|eyevine|polaris|nurphoto|bloomberg|dpa|"
    r"picture alliance|sopa images|lightrocket|anadolu(?: agency)?|xinhua|tass|ria novosti|"
    r"sputnik|ansa|zuma(?: press| wire)?|rex(?:/shutterstock)?|imago|istock(?:photo)?|"
    r"wireimage|afp/getty|abaca|keystone|belga|anp|ukrinform|unian|handout|supplied"
)
_CREDIT_WORDS = (
    r"photo(?:graph)?s?|fotos?|images?|imagem|imagen|picture|pic|credit|crédito|credito|bild|"
    r"фото|illustration|ilustración|ilustração|"
    r"photo credits?|crédits? photos?|image illustrative|"
    r"bildquelle|bildnachweis|fotonachweis|beitragsbild|titelbild|aufmacherbild"
)
CREDIT_LABEL_RE = re.compile(
    rf"\(?\s*(?:{_CREDIT_WORDS})\s*(?:by|de|di|von|:|/|©)\s*(?P<credit>[^()]{{1,80}}?)\s*\)?\.?", _I
)
AGENCY_ONLY_RE = re.compile(
    rf"\(?(?:[\w.'’ -]{{0,40}}(?:/| via | for |, ))?(?:{AGENCIES})(?:(?:/| via |, )[\w.'’ -]{{0,40}})?\)?\.?",
    _I,
)
AGENCY_WORD_RE = re.compile(rf"\b(?:{AGENCIES})\b", _I)
# "... in Moscow (Image: AFP via Getty Images)" / "... (Foto: dpa)"
TRAILING_CREDIT_RE = re.compile(
    rf"\s*\(\s*(?:{_CREDIT_WORDS})\s*(?:by|:|/|©)\s*(?P<credit>[^()]{{1,80}})\)\s*\.?$", _I
)
COPYRIGHT_RE = re.compile(r"(?:©|\(c\)|copyright)\s*\S.{0,80}", _I)
