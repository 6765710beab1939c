"""How the intent examples in `data/intent_*.jsonl` are made (data/README.md, "Intents").

`python -m panal.understanding.intent_data` rewrites the four files. Each label has, per
language, templates with slots (brands, products, faults, charges of eight industries) and
lines written out in full, and templates and lines with several intents (`ML`, `HML`,
written with `labels`, the main intent first). A template's lines all go to the same
file: the templates whose number is 2 or 7 modulo 10 (about 20%) feed the dev file, so a
dev text never shares its wording with a training text, only the slot vocabulary;
hand-written lines are split the same way by their position. Texts are deduplicated after
folding case, accents and spaces.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from panal.core.text import fold

from .corpus import write_splits

DATA = Path(__file__).resolve().parent / "data"
LABELS = [
    "praise", "complaint", "question", "purchase_intent", "technical_support", "billing",
    "media_opportunity", "product_idea", "competitor", "recruiting_hr", "legal_risk", "spam",
    "none",
]  # fmt: skip
PER_TEMPLATE = 4  # lines per template in the dev file
TRAIN_PER_TEMPLATE = 8  # and in the training file
SEED = 2026

# Industries: brands (invented), rival brands, things one buys or uses, faults, charges.
IND = {
    "es": [
        {
            "b": ["Tucán Móvil", "Red Andina"],
            "r": ["Conecta", "Movistel"],
            "p": [
                "el plan de 20 gigas",
                "la fibra de 500 megas",
                "un chip prepago",
                "el plan familiar",
            ],
            "f": [
                "no tengo señal desde ayer",
                "el internet se cae cada media hora",
                "el módem parpadea en rojo",
                "no puedo hacer llamadas",
            ],
            "c": [
                "me cobraron el roaming sin salir del país",
                "la factura vino al doble",
                "me siguen cobrando un plan que di de baja",
            ],
        },
        {
            "b": ["Banco Quetzal", "Banco del Sur"],
            "r": ["Banco Norte", "Finanzia"],
            "p": [
                "la tarjeta de crédito sin anualidad",
                "una cuenta de ahorro",
                "un crédito hipotecario",
                "la tarjeta de débito digital",
            ],
            "f": [
                "la app del banco no me deja entrar",
                "no me llega el código de verificación",
                "la transferencia quedó en pendiente",
                "el cajero no me dio el dinero",
            ],
            "c": [
                "me cobraron una comisión que nadie me explicó",
                "me aparece un cargo que no hice",
                "me cobraron la anualidad que era gratis",
            ],
        },
        {
            "b": ["AeroPampa", "VuelaSur"],
            "r": ["SkyAndes", "Volar"],
            "p": [
                "un pasaje a Cancún",
                "el vuelo a Bogotá de diciembre",
                "una maleta extra",
                "el upgrade a ejecutiva",
            ],
            "f": [
                "la web no me deja hacer el check-in",
                "la app no carga mi pase de abordar",
                "no puedo elegir asiento en la página",
            ],
            "c": [
                "me cobraron dos veces el pasaje",
                "no me devuelven el dinero del vuelo cancelado",
                "me cobraron la maleta aunque ya estaba pagada",
            ],
        },
        {
            "b": ["MercaTodo", "Tienda Faro"],
            "r": ["CompraYa", "Bazar Central"],
            "p": [
                "la freidora de aire",
                "el celular en oferta",
                "un colchón king",
                "la tele de 55",
            ],
            "f": [
                "el carrito no me deja pagar",
                "la página se queda cargando al pagar",
                "no me acepta el cupón en la app",
            ],
            "c": [
                "me cobraron un pedido que cancelé",
                "el reembolso no aparece en mi tarjeta",
                "me cobraron el envío que era gratis",
            ],
        },
        {
            "b": ["Rapidito", "EnviaYa"],
            "r": ["Mandados", "PideFácil"],
            "p": ["la suscripción de envíos gratis", "el plan premium"],
            "f": [
                "la app se cierra cuando quiero pedir",
                "no me carga el mapa del repartidor",
                "no puedo agregar mi dirección nueva",
            ],
            "c": [
                "me cobraron un pedido que nunca llegó",
                "me cobraron la propina dos veces",
                "no me reembolsan el pedido incompleto",
            ],
        },
        {
            "b": ["Pantalla+", "CineBox"],
            "r": ["FlixMax", "Estelar TV"],
            "p": ["el plan 4K", "el paquete con deportes", "el plan anual"],
            "f": [
                "la app se queda en pantalla negra",
                "no carga nada en la smart tv",
                "me saca de la sesión a cada rato",
                "el video se traba cada minuto",
            ],
            "c": [
                "me cobraron después de cancelar",
                "me subieron la mensualidad sin avisar",
                "me cobraron la prueba gratis",
            ],
        },
        {
            "b": ["Luz del Valle", "Aguas Claras"],
            "r": ["EnerSol", "Hidro Norte"],
            "p": ["la instalación de paneles solares", "el medidor inteligente"],
            "f": [
                "la oficina virtual no me deja registrar el medidor",
                "no puedo descargar la boleta en la web",
                "el portal tira error al pagar",
            ],
            "c": [
                "la boleta de luz vino carísima",
                "me cobraron un consumo imposible",
                "me llegó la cuenta del agua con una deuda que ya pagué",
            ],
        },
        {
            "b": ["Nubo", "Planilla.io"],
            "r": ["Kontab", "Datafy"],
            "p": ["el plan empresa", "licencias para 20 usuarios", "el plan pro anual"],
            "f": [
                "la API devuelve error 500",
                "no puedo exportar el reporte a Excel",
                "el login con Google no funciona",
                "la sincronización está caída",
            ],
            "c": [
                "nos facturaron usuarios que ya eliminamos",
                "la factura no trae el RFC correcto",
                "nos cobraron el plan anual en vez del mensual",
            ],
        },
    ],
    "en": [
        {
            "b": ["Kestrel Mobile", "Lumen Wireless"],
            "r": ["Brightline", "NetOne"],
            "p": ["the unlimited plan", "a family plan", "the 1 gig fiber", "a prepaid SIM"],
            "f": [
                "I have no signal since yesterday",
                "the wifi drops every half hour",
                "my router keeps blinking red",
                "calls won't go through",
            ],
            "c": [
                "you charged me roaming fees at home",
                "my bill doubled this month",
                "I'm still being charged for a line I cancelled",
            ],
        },
        {
            "b": ["Harbor Bank", "Summit Credit Union"],
            "r": ["Keystone Bank", "Ferro"],
            "p": ["the no fee credit card", "a savings account", "a mortgage", "the travel card"],
            "f": [
                "the banking app won't let me log in",
                "I never get the verification code",
                "my transfer has been pending for days",
                "the ATM ate my card",
            ],
            "c": [
                "there's a fee on my statement nobody explained",
                "there's a charge I didn't make",
                "you charged the annual fee on a free card",
            ],
        },
        {
            "b": ["SkyLark Air", "Coastal Airways"],
            "r": ["JetNorth", "AirVista"],
            "p": [
                "a ticket to Denver",
                "the Christmas flight to Miami",
                "an extra bag",
                "a business class upgrade",
            ],
            "f": [
                "online check-in keeps failing",
                "the app won't load my boarding pass",
                "I can't pick a seat on the website",
            ],
            "c": [
                "I was charged twice for the same ticket",
                "still no refund for the cancelled flight",
                "you charged my bag even though I prepaid it",
            ],
        },
        {
            "b": ["ShopNest", "Maple Mart"],
            "r": ["CartCo", "BuyRight"],
            "p": ["the air fryer", "the phone on sale", "a king mattress", "the 55 inch TV"],
            "f": [
                "checkout won't let me pay",
                "the site freezes at payment",
                "the coupon code doesn't work in the app",
            ],
            "c": [
                "you charged me for an order I cancelled",
                "my refund never showed up",
                "I paid shipping on a free shipping order",
            ],
        },
        {
            "b": ["DashDrop", "QuickBite"],
            "r": ["GrubRun", "Parcelo"],
            "p": ["the free delivery membership", "the premium plan"],
            "f": [
                "the app crashes when I try to order",
                "driver tracking won't load",
                "I can't add my new address",
            ],
            "c": [
                "I got charged for an order that never came",
                "the tip was charged twice",
                "no refund for the missing items",
            ],
        },
        {
            "b": ["FlickBox", "Streamly"],
            "r": ["ViewMax", "Orbit TV"],
            "p": ["the 4K plan", "the sports add-on", "the annual plan"],
            "f": [
                "the app is stuck on a black screen",
                "nothing loads on my smart TV",
                "it keeps logging me out",
                "videos buffer every minute",
            ],
            "c": [
                "you charged me after I cancelled",
                "my subscription went up without notice",
                "I was charged during the free trial",
            ],
        },
        {
            "b": ["Metro Power", "Clearwater Utilities"],
            "r": ["SunGrid", "BlueRiver Energy"],
            "p": ["solar panel installation", "a smart meter"],
            "f": [
                "the online portal won't register my meter",
                "I can't download my bill",
                "the payment page throws an error",
            ],
            "c": [
                "my electric bill is insane this month",
                "the meter reading is impossible",
                "the water bill shows a debt I already paid",
            ],
        },
        {
            "b": ["Stackly", "Ledgerly"],
            "r": ["Trellis", "Datafy"],
            "p": ["the business plan", "20 seats", "the annual pro plan"],
            "f": [
                "the API returns 500 errors",
                "I can't export the report to CSV",
                "Google sign-in is broken",
                "sync has been down all morning",
            ],
            "c": [
                "we were billed for users we removed",
                "the invoice has the wrong tax ID",
                "you billed us annually instead of monthly",
            ],
        },
    ],
}

COMMON = {
    "es": {
        "city": [
            "CDMX",
            "Bogotá",
            "Lima",
            "Santiago",
            "Quito",
            "Montevideo",
            "Guadalajara",
            "Medellín",
            "Rosario",
            "Arequipa",
            "San José",
            "Monterrey",
        ],
        "days": ["3 días", "una semana", "dos semanas", "10 días", "un mes", "48 horas"],
        "outlet": [
            "Diario La Costa",
            "Revista Mercado",
            "Noticias Canal 8",
            "el podcast Fintech Hoy",
            "Radio Cumbre",
            "el blog TecnoBarato",
            "El Observador Digital",
            "Semana Económica",
        ],
        "job": [
            "analista de datos",
            "ejecutivo de ventas",
            "agente de atención",
            "desarrollador backend",
            "técnico de campo",
            "diseñadora UX",
            "practicante de marketing",
            "cajero",
        ],
        "feat": [
            "modo oscuro",
            "pagar con QR",
            "un chat en vivo",
            "exportar a PDF",
            "notificaciones por WhatsApp",
            "elegir el horario de entrega",
            "pagos en cuotas",
            "un widget para el celular",
            "perfiles para niños",
            "dividir la cuenta",
        ],
        "spamthing": [
            "seguidores reales",
            "bitcoin",
            "préstamos sin buró",
            "likes baratos",
            "pastillas para adelgazar",
            "iPhones a mitad de precio",
            "inversión forex",
        ],
        "emo_bad": ["😡", "🤬", "😤", "🙄", "", "", ""],
        "emo_good": ["🙌", "❤️", "👏", "😍", "💯", "", ""],
    },
    "en": {
        "city": [
            "Austin",
            "Chicago",
            "Toronto",
            "Leeds",
            "Denver",
            "Atlanta",
            "Dublin",
            "Phoenix",
            "Glasgow",
            "Portland",
            "Houston",
            "Manchester",
        ],
        "days": ["3 days", "a week", "two weeks", "10 days", "a month", "48 hours"],
        "outlet": [
            "the Daily Ledger",
            "Metro News 4",
            "the Consumer Watch podcast",
            "TechCrunchy",
            "the Business Post",
            "Money Talk radio",
            "a small tech blog",
            "the Tribune",
        ],
        "job": [
            "data analyst",
            "sales rep",
            "customer care agent",
            "backend developer",
            "field technician",
            "UX designer",
            "marketing intern",
            "store associate",
        ],
        "feat": [
            "dark mode",
            "Apple Pay",
            "live chat",
            "PDF export",
            "text alerts",
            "scheduled deliveries",
            "split payments",
            "a home screen widget",
            "kids profiles",
            "bill splitting",
        ],
        "spamthing": [
            "real followers",
            "crypto signals",
            "no credit check loans",
            "cheap likes",
            "weight loss pills",
            "iPhones at half price",
            "forex investing",
        ],
        "emo_bad": ["😡", "🤬", "😤", "🙄", "", "", ""],
        "emo_good": ["🙌", "❤️", "👏", "😍", "💯", "", ""],
    },
}

T: dict[str, dict[str, list[str]]] = {"es": {}, "en": {}}
H: dict[str, dict[str, list[str]]] = {"es": {}, "en": {}}

T["es"]["praise"] = [
    "Gracias {b}, me atendieron súper rápido y resolvieron todo {emo_good}",
    "qué buen servicio el de {b}, así da gusto ser cliente",
    "{b} se pasó, llegó antes de lo prometido y todo perfecto",
    "Quiero felicitar a la chica de {b} que me atendió hoy en {city}, una genia",
    "10/10 con {b}, {p} vale cada peso {emo_good}",
    "llevo años con {b} y nunca me han fallado, recomendadísimos",
    "el equipo de {b} en {city} es lo máximo, amables y rapidísimos",
    "por fin una empresa que cumple: gracias {b} {emo_good}",
    "me encanta {p} de {b}, no lo cambio por nada",
    "mis respetos a {b}, me solucionaron en 5 minutos lo que otros no en meses",
    "{b} la rompe, excelente atención por chat",
    "hay que decirlo: {b} mejoró muchísimo, bien ahí",
    "súper contenta con {b}, el técnico fue un amor {emo_good}",
    "gracias @{b} por la paciencia, me ayudaron con todo",
]
H["es"]["praise"] = [
    "qué chimba de atención, parce, quedé feliz",
    "bacán el servicio, cachai que ni esperé",
    "la mejor app que he usado, así de simple",
    "mil gracias por la buena onda de siempre",
    "chido el trato, me sentí bien atendida",
    "son unos cracks, así sí dan ganas de volver",
    "excelente experiencia de principio a fin",
    "todo llegó impecable y bien empacado, gracias!!",
    "qué gusto cuando las cosas funcionan así de bien",
    "la señora del mostrador es un sol ☀️",
    "de verdad, gracias por responder un domingo",
    "impecable, como siempre 👌",
]
T["en"]["praise"] = [
    "Thank you {b}, support sorted everything in minutes {emo_good}",
    "honestly {b} has the best customer service I've dealt with",
    "{b} came through, delivered early and everything was perfect",
    "shoutout to the rep at {b} in {city} who helped me today, absolute star",
    "10/10 would recommend {b}, {p} is worth every penny {emo_good}",
    "been with {b} for years and never had a problem, love them",
    "the {b} team in {city} is amazing, friendly and fast",
    "finally a company that delivers on its promises, thanks {b} {emo_good}",
    "obsessed with {p} from {b}, not switching ever",
    "props to {b}, fixed in 5 minutes what others couldn't in months",
    "{b} absolutely nailed it, great chat support",
    "gotta say {b} has improved a lot, well done",
    "so happy with {b}, the technician was lovely {emo_good}",
    "thanks @{b} for being so patient, you helped with everything",
]
H["en"]["praise"] = [
    "great experience start to finish, thank you!",
    "you guys rock, seriously",
    "best app I've used in ages, no notes",
    "customer service actually listened, wow",
    "everything arrived well packed and on time, cheers",
    "big thanks for answering on a sunday",
    "the lady at the counter was so kind ☀️",
    "flawless as always 👌",
    "love love love this service",
    "such a smooth experience, made my day",
    "proper good service, ta very much",
    "you made this so easy, thank you team",
]

T["es"]["complaint"] = [
    "{b} pésimo servicio, llevo {days} esperando una respuesta {emo_bad}",
    "qué vergüenza {b}, me dejaron plantado y nadie avisó",
    "nunca más compro en {b}, la atención es un desastre",
    "{b} me tienen harta, cada vez que llamo me pasan con otro agente",
    "el peor servicio al cliente es el de {b}, ni responden los mensajes {emo_bad}",
    "la sucursal de {b} en {city} es un caos, dos horas de fila",
    "{b} prometieron visita el lunes y nadie vino, otra vez",
    "me trataron horrible en {b} de {city}, cero empatía",
    "ya van {days} y {b} no me resuelve nada, qué falta de respeto",
    "decepcionado de {b}, antes eran buenos y ahora es un asco",
    "{b} dejen de prometer cosas que no cumplen {emo_bad}",
    "lamentable {b}, me colgaron la llamada dos veces",
    "otra vez {b} fallando, ya me cansé de ser cliente",
]
H["es"]["complaint"] = [
    "qué mala onda el trato en el mostrador, ni me miraron",
    "pésimo, nunca más",
    "me tuvieron una hora en espera para nada 😤",
    "atención del asco, no lo recomiendo",
    "que alguien me explique por qué nadie responde acá",
    "ya no se puede con este servicio",
    "la verdad muy mal, esperaba otra cosa",
    "ni perdón pidieron, qué poca",
    "el repartidor fue grosero y tiró el paquete",
    "chamo, qué arrechera con esta gente",
    "estoy re caliente, me tienen de acá para allá",
    "fome el servicio, nadie se hace cargo",
]
T["en"]["complaint"] = [
    "{b} terrible service, been waiting {days} for a reply {emo_bad}",
    "shame on you {b}, nobody showed up and nobody called",
    "never buying from {b} again, customer service is a joke",
    "{b} I'm so done, every call gets transferred to someone new",
    "worst customer service ever, {b} doesn't even answer messages {emo_bad}",
    "the {b} store in {city} is a mess, two hours in line",
    "{b} promised a visit on monday and nobody came, again",
    "staff at {b} in {city} were so rude to me today",
    "it's been {days} and {b} still hasn't fixed anything, unacceptable",
    "really disappointed in {b}, used to be good, now awful",
    "{b} stop promising things you don't deliver {emo_bad}",
    "pathetic {b}, hung up on me twice",
    "{b} failing again, tired of being your customer",
]
H["en"]["complaint"] = [
    "rude staff, won't be back",
    "awful, just awful",
    "on hold for an hour for nothing 😤",
    "zero stars if I could",
    "why does nobody ever answer here",
    "can't stand this service anymore",
    "honestly very poor, expected better",
    "not even an apology, wow",
    "the driver was rude and threw my parcel",
    "this is the last straw",
    "absolutely fuming right now",
    "such a letdown, nobody takes responsibility",
]

T["es"]["question"] = [
    "¿A qué hora abre {b} en {city} los sábados?",
    "hola {b}, ¿tienen sucursal en {city}?",
    "{b} una consulta, ¿cómo cambio el correo de mi cuenta?",
    "¿alguien sabe si {b} atiende los feriados?",
    "{b} ¿cuál es el número de atención al cliente?",
    "buenas, ¿{p} incluye algo más o es solo eso?",
    "¿{b} tiene cobertura en {city}? gracias",
    "¿dónde puedo ver los términos y condiciones de {b}?",
    "consulta {b}: ¿puedo cambiar la dirección de mi cuenta por la web?",
    "¿cuánto tarda normalmente un trámite con {b}?",
    "{b} ¿qué documentos necesito para el trámite?",
    "¿es cierto que {b} cambia sus horarios en diciembre?",
    "pregunta: ¿{b} tiene atención por WhatsApp?",
]
H["es"]["question"] = [
    "¿a qué hora cierran hoy?",
    "¿atienden el domingo?",
    "¿hay estacionamiento en la tienda?",
    "¿cuál es el correo oficial para consultas?",
    "¿dónde queda la oficina más cercana?",
    "una pregunta, ¿aceptan mascotas en la tienda?",
    "¿me pasan el link de la página oficial?",
    "¿cómo hago para hablar con una persona?",
    "¿siguen con el mismo horario?",
    "¿hasta qué fecha dura la promo?",
    "¿tienen atención en inglés?",
    "¿se puede ir sin cita o hay que agendar?",
]
T["en"]["question"] = [
    "What time does {b} in {city} open on saturdays?",
    "hi {b}, do you have a branch in {city}?",
    "{b} quick question, how do I change the email on my account?",
    "does anyone know if {b} is open on public holidays?",
    "{b} what's the customer service number?",
    "hey, does {p} include anything else or just that?",
    "does {b} have coverage in {city}? thanks",
    "where can I read {b}'s terms and conditions?",
    "{b} can I update my address online?",
    "how long does a request with {b} usually take?",
    "{b} what documents do I need to bring?",
    "is it true {b} is changing its hours in december?",
    "question: does {b} have support on whatsapp?",
]
H["en"]["question"] = [
    "what time do you close today?",
    "are you open on sunday?",
    "is there parking at the store?",
    "what's the official email for inquiries?",
    "where's your nearest office?",
    "quick q, are dogs allowed in the store?",
    "can you send me the link to the official site?",
    "how do I talk to an actual person?",
    "are the opening hours still the same?",
    "when does the promo end?",
    "do you have support in spanish?",
    "do I need an appointment or can I just walk in?",
]

T["es"]["purchase_intent"] = [
    "{b} quiero contratar {p}, ¿cómo hago?",
    "¿cuánto sale {p} de {b}? me interesa",
    "estoy por comprar {p} en {b}, ¿tienen stock en {city}?",
    "{b} me pasan precio de {p}? lo quiero para esta semana",
    "me interesa {p}, ¿alguien de {b} me puede cotizar?",
    "quiero cambiarme a {b}, ¿qué necesito para contratar {p}?",
    "¿{b} tiene {p} en cuotas sin interés? lo compro hoy",
    "necesito {p} para mi negocio, ¿me contactan de ventas {b}?",
    "{b} ¿cómo me suscribo a {p}? quiero empezar ya",
    "¿dónde compro {p} de {b} en {city}?",
    "busco {p}, ¿{b} tiene alguna promo para clientes nuevos?",
    "listo, me convencieron, ¿cómo contrato {p} con {b}?",
    "{b} mándenme info de {p} por DM que lo quiero",
]
H["es"]["purchase_intent"] = [
    "¿me pueden cotizar para 30 personas?",
    "lo quiero!! ¿cómo lo pido?",
    "¿todavía tienen el modelo azul? lo compro ya",
    "quiero contratar, ¿me llaman?",
    "pásame precio por inbox porfa",
    "¿hacen envíos a provincia? quiero pedir dos",
    "necesito una cotización para la empresa",
    "¿cómo me hago cliente?",
    "¿aceptan tarjeta? voy mañana a comprar",
    "me interesa, ¿qué planes tienen?",
    "¿tienen plan para estudiantes? me quiero suscribir",
    "¿dónde firmo? jajaja lo quiero",
]
T["en"]["purchase_intent"] = [
    "{b} I want to sign up for {p}, how do I do it?",
    "how much is {p} at {b}? interested",
    "about to buy {p} from {b}, is it in stock in {city}?",
    "{b} can you send me pricing for {p}? need it this week",
    "interested in {p}, can someone from {b} give me a quote?",
    "thinking of switching to {b}, what do I need to get {p}?",
    "does {b} do {p} on interest free installments? I'd buy today",
    "need {p} for my business, can {b} sales reach out?",
    "{b} how do I subscribe to {p}? want to start asap",
    "where can I buy {p} from {b} in {city}?",
    "looking for {p}, does {b} have a deal for new customers?",
    "ok you convinced me, how do I get {p} with {b}?",
    "{b} DM me info on {p}, I want it",
]
H["en"]["purchase_intent"] = [
    "can I get a quote for 30 people?",
    "I need this!! how do I order?",
    "do you still have the blue one? buying now",
    "I want to sign up, can someone call me?",
    "DM me the price please",
    "do you ship to canada? want to order two",
    "need a quote for our company",
    "how do I become a customer?",
    "do you take amex? coming in tomorrow to buy",
    "interested, what plans do you have?",
    "is there a student plan? want to subscribe",
    "where do I sign lol take my money",
]

T["es"]["technical_support"] = [
    "{b} {f}, ¿me ayudan?",
    "hola {b}, {f} y ya reinicié todo",
    "{b} {f} desde hace {days}, ¿qué hago?",
    "¿a alguien más le pasa que {f}? {b}",
    "ayuda {b}: {f} y necesito resolverlo hoy",
    "{b} {f}, ya borré la app y la instalé de nuevo",
    "buenas, {f}. ¿algún paso que pueda seguir? {b}",
    "{b} me sale error cuando intento entrar, {f}",
    "soporte {b} por favor, {f}",
    "{b} ¿cómo configuro el equipo? {f}",
    "desde la actualización {f}, {b} revisen",
    "{b} {f} en {city}, ¿hay alguna falla?",
    "{b} {f}, ya probé con otro celular y nada",
]
H["es"]["technical_support"] = [
    "no me deja iniciar sesión, dice contraseña incorrecta pero está bien",
    "la app se cierra sola al abrirla, ¿me ayudan?",
    "¿cómo restablezco la contraseña?",
    "me sale error 403 al entrar",
    "no me llega el correo de verificación",
    "el equipo no enciende después de la tormenta",
    "el bluetooth no empareja con el auto",
    "¿cómo actualizo el firmware del router?",
    "la página dice 'servicio no disponible'",
    "no me reconoce la huella desde la actualización",
    "se me bloqueó la cuenta por intentos",
    "no carga nada, solo la ruedita girando",
]
T["en"]["technical_support"] = [
    "{b} {f}, can you help?",
    "hi {b}, {f} and I already restarted everything",
    "{b} {f} for {days} now, what do I do?",
    "anyone else finding {f}? {b}",
    "help {b}: {f} and I need it fixed today",
    "{b} {f}, already reinstalled the app",
    "hey, {f}. any troubleshooting steps? {b}",
    "{b} I get an error when I try to sign in, {f}",
    "{b} support please, {f}",
    "{b} how do I set this up? {f}",
    "since the update {f}, {b} please check",
    "{b} {f} in {city}, is there an outage?",
    "{b} {f}, tried another phone and same thing",
]
H["en"]["technical_support"] = [
    "it says wrong password but it's right, can't log in",
    "the app closes as soon as I open it, help?",
    "how do I reset my password?",
    "getting error 403 when signing in",
    "verification email never arrives",
    "the device won't turn on after the storm",
    "bluetooth won't pair with my car",
    "how do I update the router firmware?",
    "site says 'service unavailable'",
    "fingerprint login stopped working after the update",
    "account locked after too many attempts",
    "nothing loads, just the spinning wheel",
]

T["es"]["billing"] = [
    "{b} {c}, ¿me explican?",
    "hola {b}, {c} y necesito que lo corrijan",
    "{b} {c}, quiero mi reembolso",
    "ojo {b}: {c}. revisen mi cuenta",
    "{b} {c} y en el chat no me dan solución",
    "¿cómo pido la nota de crédito? {b} {c}",
    "{b} {c}, ¿dónde reclamo el cobro?",
    "revisando el estado de cuenta: {c} {emo_bad} {b}",
    "{b} necesito la factura del mes pasado, {c}",
    "{b} {c}, ¿cuándo me devuelven la plata?",
    "{b} pagué a tiempo y {c}",
    "{b} {c}, mándenme el detalle del cargo",
    "{b} {c}, ya envié el comprobante de pago",
]
H["es"]["billing"] = [
    "¿por qué me cobraron dos veces este mes?",
    "no me llega la factura electrónica",
    "pagué y sigue apareciendo como deuda",
    "¿cómo cambio la tarjeta del débito automático?",
    "necesito la factura a nombre de la empresa",
    "me cobraron intereses sin estar atrasado",
    "¿dónde descargo mi boleta?",
    "el reembolso lleva 20 días y nada",
    "me llegó un cargo de 39.90 que no reconozco",
    "quiero que me devuelvan el cobro duplicado",
    "¿hasta cuándo puedo pagar sin recargo?",
    "el monto de la factura no coincide con el plan",
]
T["en"]["billing"] = [
    "{b} {c}, can you explain?",
    "hi {b}, {c} and I need it corrected",
    "{b} {c}, I want a refund",
    "heads up {b}: {c}. check my account please",
    "{b} {c} and chat support won't sort it",
    "how do I get a credit note? {b} {c}",
    "{b} {c}, where do I dispute the charge?",
    "looking at my statement: {c} {emo_bad} {b}",
    "{b} I need last month's invoice, {c}",
    "{b} {c}, when do I get my money back?",
    "{b} I paid on time and {c}",
    "{b} {c}, send me a breakdown of the charge",
    "{b} {c}, already sent the payment receipt",
]
H["en"]["billing"] = [
    "why was I charged twice this month?",
    "my e-invoice never arrives",
    "I paid and it still shows as overdue",
    "how do I change the card for autopay?",
    "need the invoice under my company name",
    "charged late fees even though I paid on time",
    "where do I download my bill?",
    "refund has been 20 days and nothing",
    "there's a $39.90 charge I don't recognise",
    "I want the duplicate charge reversed",
    "what's the last day to pay without a late fee?",
    "invoice amount doesn't match my plan",
]

T["es"]["media_opportunity"] = [
    "Hola {b}, soy periodista de {outlet} y preparo una nota sobre el sector, ¿con quién hablo?",
    "{b} desde {outlet} nos gustaría entrevistar a su vocero esta semana",
    "buenas, escribo para {outlet}: ¿{b} tiene un comunicado sobre la falla de hoy en {city}?",
    "{b} ¿me pasan el contacto de prensa? es para un reportaje en {outlet}",
    "hago un podcast de negocios y me encantaría invitar a alguien de {b}",
    "{b} soy blogger de tecnología, ¿les interesa que reseñe {p}?",
    "desde {outlet} estamos cubriendo el tema, ¿{b} da declaraciones?",
    "{b} hola, trabajo en {outlet} y busco una fuente para hablar de tarifas",
    "soy creadora de contenido con 80k seguidores, ¿colaboramos {b}? reseño {p}",
    "{b} para {outlet}: ¿confirman la cifra de clientes afectados en {city}?",
    "equipo de comunicación de {b}, ¿me agendan una entrevista para {outlet}?",
    "{b} ¿hay vocera disponible para un live en {outlet} mañana?",
    "estudiante de periodismo aquí, ¿{b} me daría una entrevista para mi reportaje?",
]
H["es"]["media_opportunity"] = [
    "periodista buscando fuentes sobre el alza de precios, escríbanme al DM",
    "¿quién lleva la prensa acá? tengo cierre hoy a las 18h",
    "preparamos un especial de emprendimiento y queremos incluirlos",
    "los invito a mi programa de radio el jueves, ¿quién viene?",
    "reportera de noticias locales, necesito una declaración oficial",
    "hago reseñas en YouTube, ¿me mandan el producto para probarlo?",
    "buscamos una vocera para un panel en el foro de innovación",
    "¿tienen kit de prensa? escribo un artículo comparativo",
    "me gustaría entrevistar a la fundadora para mi newsletter",
    "desde la agencia de noticias solicitamos su versión de los hechos",
]
T["en"]["media_opportunity"] = [
    "Hi {b}, I'm a reporter at {outlet} working on a story about the industry, who can I talk to?",
    "{b} we'd love to interview your spokesperson this week for {outlet}",
    "hello, writing for {outlet}: does {b} have a statement on today's outage in {city}?",
    "{b} could you share your press contact? it's for a feature in {outlet}",
    "I host a business podcast and would love to have someone from {b} on",
    "{b} tech blogger here, would you like me to review {p}?",
    "{outlet} is covering this, is {b} giving comment?",
    "{b} hi, I work at {outlet} and I'm looking for a source on pricing",
    "creator with 80k followers, {b} want to collab? I'd review {p}",
    "{b} for {outlet}: can you confirm how many customers were affected in {city}?",
    "{b} comms team, could we set up an interview for {outlet}?",
    "{b} is a spokesperson available for a live segment on {outlet} tomorrow?",
    "journalism student here, would {b} do an interview for my piece?",
]
H["en"]["media_opportunity"] = [
    "journalist looking for sources on rising prices, DMs open",
    "who handles press here? on deadline at 6pm",
    "putting together a small business feature and want to include you",
    "inviting you on my radio show thursday, who's coming?",
    "local news reporter, need an official statement",
    "I do reviews on youtube, can you send me the product to test?",
    "looking for a speaker for a panel at the innovation summit",
    "do you have a press kit? writing a comparison article",
    "would love to interview the founder for my newsletter",
    "newswire here, requesting your side of the story",
]

T["es"]["product_idea"] = [
    "{b} deberían agregar {feat} a la app, sería genial",
    "idea para {b}: {feat}. yo pagaría por eso",
    "¿por qué {b} no tiene {feat}? lo necesitamos",
    "{b} ojalá pronto pongan {feat}",
    "sugerencia {b}: que {p} venga con {feat}",
    "estaría buenísimo que {b} tuviera {feat}",
    "{b} propuesta: {feat} en la web y la app",
    "lo único que le falta a {b} es {feat}",
    "{b} si agregan {feat} me quedo para siempre",
    "¿para cuándo {feat} en {b}? sería un golazo",
    "{b} les dejo una idea: {feat}, como hacen otras apps",
    "quisiera sugerir a {b} que incluyan {feat}",
    "{b} ¿han pensado en {feat}? muchos lo pedimos",
]
H["es"]["product_idea"] = [
    "deberían hacer una versión para tablet",
    "sería genial poder pausar la suscripción un mes",
    "¿y si ponen un botón para repetir el último pedido?",
    "falta un filtro por precio en la tienda",
    "propongo que el envío sea gratis desde cierto monto",
    "podrían sacar un plan solo de datos",
    "ojalá tuvieran versión en lenguas indígenas",
    "me encantaría un programa de puntos",
    "idea: avisar por SMS antes de cortar el servicio",
    "harían falta más tallas grandes",
]
T["en"]["product_idea"] = [
    "{b} you should add {feat} to the app, would be great",
    "idea for {b}: {feat}. I'd pay for that",
    "why doesn't {b} have {feat} yet? we need it",
    "{b} please add {feat} soon",
    "suggestion {b}: make {p} come with {feat}",
    "it would be amazing if {b} had {feat}",
    "{b} feature request: {feat} on web and mobile",
    "the only thing {b} is missing is {feat}",
    "{b} add {feat} and I'm yours forever",
    "when is {b} getting {feat}? would be a game changer",
    "{b} here's an idea: {feat}, like other apps do",
    "I'd like to suggest {b} adds {feat}",
    "{b} have you thought about {feat}? lots of us want it",
]
H["en"]["product_idea"] = [
    "you should make a tablet version",
    "would be great to pause my subscription for a month",
    "what about a button to reorder my last order?",
    "the store needs a price filter",
    "suggest free shipping over a certain amount",
    "please do a data only plan",
    "wish the app had a bigger font option",
    "I'd love a loyalty points program",
    "idea: text me before you cut off the service",
    "more plus sizes please",
]

T["es"]["competitor"] = [
    "me paso a {r}, {b} ya no da para más",
    "{r} me ofrece lo mismo que {b} por la mitad",
    "¿{r} o {b}? ¿cuál me recomiendan?",
    "{b}, {r} me está ofreciendo {p} más barato, ¿igualan el precio?",
    "desde que me cambié de {b} a {r} todo funciona",
    "{r} tiene mejor cobertura que {b} en {city}, comprobado",
    "{b} si no me mejoran la oferta me voy con {r}",
    "ya hice la portabilidad a {r}, chao {b}",
    "{r} acaba de lanzar una promo brutal, {b} ¿y ustedes?",
    "comparando {b} con {r}: {r} gana en precio",
    "mi vecino tiene {r} y paga menos que yo con {b}",
    "{b} aprendan de {r} que sí responde rápido",
    "¿alguien se cambió de {b} a {r}? ¿vale la pena?",
]
H["es"]["competitor"] = [
    "la competencia me ofreció 3 meses gratis, lo estoy pensando",
    "en la otra compañía me atendieron en 5 minutos, acá nada",
    "me voy con la competencia, ya fue",
    "el de enfrente lo vende más barato",
    "la otra app tiene envío gratis y esta no",
    "me llamaron de otra empresa con mejor oferta",
    "estoy comparando precios con otras compañías antes de renovar",
    "mi hermana se cambió a la competencia y está feliz",
]
T["en"]["competitor"] = [
    "switching to {r}, {b} just isn't cutting it",
    "{r} offers the same as {b} for half the price",
    "{r} or {b}? which one would you pick?",
    "{b}, {r} is offering me {p} cheaper, will you match it?",
    "since I moved from {b} to {r} everything just works",
    "{r} has better coverage than {b} in {city}, tested it",
    "{b} improve my offer or I'm going to {r}",
    "ported my number to {r}, bye {b}",
    "{r} just launched a killer deal, {b} what about you?",
    "comparing {b} and {r}: {r} wins on price",
    "my neighbour has {r} and pays less than me with {b}",
    "{b} learn from {r}, they actually reply fast",
    "anyone switched from {b} to {r}? worth it?",
]
H["en"]["competitor"] = [
    "your competitor offered me 3 months free, thinking about it",
    "the other company answered in 5 minutes, here nothing",
    "going with the competition, done",
    "the shop across the street sells it cheaper",
    "the other app has free delivery and this one doesn't",
    "got a call from another provider with a better offer",
    "shopping around with other providers before I renew",
    "my sister switched to the competition and loves it",
]

T["es"]["recruiting_hr"] = [
    "¿{b} está contratando {job} en {city}? me interesa postular",
    "{b} vi la vacante de {job}, ¿dónde mando mi CV?",
    "hice la entrevista para {job} en {b} hace {days} y nadie me dice nada",
    "¿qué tal es trabajar en {b}? me ofrecieron un puesto de {job}",
    "{b} busca {job} en {city}, compartan",
    "trabajé en {b} como {job} y el ambiente laboral era terrible",
    "orgullosa de empezar hoy como {job} en {b} {emo_good}",
    "{b} ¿tienen prácticas profesionales para {job}?",
    "¿cuánto pagan en {b} a un {job}? pregunto por una oferta",
    "a los {job} de {b} en {city} no les pagan las horas extra",
    "{b} ¿el puesto de {job} es remoto o presencial?",
    "me rechazaron en {b} para {job}, ¿alguien sabe qué buscan?",
    "{b} abre convocatoria para {job}, requisitos en su web",
]
H["es"]["recruiting_hr"] = [
    "¿dónde están publicadas las vacantes?",
    "busco chamba, ¿contratan?",
    "mi jefe en el call center nos trata fatal",
    "¿hay trabajo para recién egresados?",
    "mandé mi currículum hace un mes y nada",
    "qué buena cultura de equipo tienen, se nota",
    "los empleados de la tienda están en paro por los sueldos",
    "¿cómo es el proceso de selección?",
    "ya me llegó la carta oferta!! 🎉",
    "renuncié por el mal clima laboral",
]
T["en"]["recruiting_hr"] = [
    "is {b} hiring {job}s in {city}? I'd love to apply",
    "{b} saw the {job} opening, where do I send my resume?",
    "interviewed for {job} at {b} {days} ago and no word since",
    "what's it like working at {b}? got an offer as {job}",
    "{b} is hiring a {job} in {city}, please share",
    "worked at {b} as a {job} and the culture was toxic",
    "first day as a {job} at {b}, so excited {emo_good}",
    "{b} do you have internships for {job}s?",
    "how much does {b} pay a {job}? asking for an offer",
    "{b} {job}s in {city} aren't getting paid overtime",
    "{b} is the {job} role remote or in office?",
    "got rejected by {b} for {job}, anyone know what they look for?",
    "{b} opens applications for {job}, requirements on their site",
]
H["en"]["recruiting_hr"] = [
    "where are the job openings posted?",
    "need a job, you hiring?",
    "my manager at the call center treats us like dirt",
    "any jobs for new grads?",
    "sent my CV a month ago and nothing",
    "love the team culture there, it shows",
    "store workers are striking over pay",
    "what's the hiring process like?",
    "just got the offer letter!! 🎉",
    "quit because of the toxic work environment",
]

T["es"]["legal_risk"] = [
    "{b} ya puse la denuncia en Profeco, {c}",
    "voy a demandar a {b}, mi abogado ya tiene todo",
    "{b} filtró mis datos personales, esto es ilegal",
    "denuncia ante SERNAC contra {b} por publicidad engañosa",
    "{b} esto lo llevo a Indecopi, no me devuelven lo que pagué",
    "{b} están violando la ley de protección al consumidor",
    "me llegan correos de {b} con datos de otros clientes, grave fuga de información",
    "{b} los voy a reportar a la Superintendencia, {c}",
    "demanda colectiva contra {b} por cobros abusivos, únanse",
    "{b} si no me responden en 48 horas procedo legalmente",
    "en la sucursal de {b} de {city} hay cables expuestos, alguien se va a lastimar",
    "{b} discriminaron a mi hermano en la tienda de {city}, esto va a Conapred",
    "{b} recibí carta de cobranza amenazante por una deuda que no existe, voy a denunciar",
]
H["es"]["legal_risk"] = [
    "esto es un fraude y lo voy a denunciar",
    "ya hablé con un abogado, nos vemos en tribunales",
    "¿dónde pongo una queja formal ante la autoridad?",
    "me grabaron sin consentimiento en la tienda",
    "publicaron mi número en un grupo sin permiso",
    "el producto me causó una reacción alérgica grave",
    "la garantía es un derecho, no un favor, voy a la defensoría",
    "esto amerita una demanda",
    "hay que denunciar estas prácticas abusivas ante el regulador",
    "presenté reclamo en la SIC",
]
T["en"]["legal_risk"] = [
    "{b} filed a complaint with the FTC, {c}",
    "suing {b}, my lawyer has everything",
    "{b} leaked my personal data, this is illegal",
    "reporting {b} to the attorney general for false advertising",
    "{b} taking this to small claims court, you won't refund me",
    "{b} you're breaking consumer protection law",
    "getting emails from {b} with other customers' data, serious data breach",
    "{b} reporting you to the regulator, {c}",
    "class action against {b} for abusive fees, join us",
    "{b} if I don't hear back in 48 hours I'm taking legal action",
    "the {b} store in {city} has exposed wires, someone's going to get hurt",
    "{b} staff in {city} discriminated against my brother, filing a complaint",
    "{b} threatening debt collection letters for a debt that doesn't exist, going to the CFPB",
]
H["en"]["legal_risk"] = [
    "this is fraud and I'm reporting it",
    "already spoke to a lawyer, see you in court",
    "where do I file a formal complaint with the authorities?",
    "they recorded me without consent in the store",
    "they posted my number in a group without permission",
    "your product gave me a severe allergic reaction",
    "warranty is the law, going to trading standards",
    "this deserves a lawsuit",
    "these practices should be reported to the regulator",
    "GDPR request incoming, delete my data or I escalate",
]

T["es"]["spam"] = [
    "🔥 gana dinero desde casa con {spamthing}, escríbeme al DM 🔥",
    "compra {spamthing} al mejor precio, link en mi bio",
    "¿quieres {spamthing}? info al WhatsApp +52 55 1234 {n4}",
    "oferta solo hoy: {spamthing} 100% garantizado bit.ly/{code}",
    "hola amig@, te regalo {spamthing}, entra a www.{code}.xyz",
    "invierte 500 y recibe 5000 en {days} con {spamthing} 💰💰",
    "sígueme y te sigo, {spamthing} gratis para los primeros 100",
    "ganaste un premio! reclama {spamthing} aquí: {code}.ly",
    "{spamthing} {spamthing} {spamthing} mejores precios DM",
    "promo exclusiva de {spamthing} 👉 t.me/{code}",
]
H["es"]["spam"] = [
    "sigan mi cuenta de memes 👉👉",
    "follow x follow 🔁🔁",
    "vendo cuenta verificada, DM",
    "🎁🎁 sorteo falso, comparte y gana 🎁🎁",
    "trabaja 2 horas al día y gana 3000 dólares",
    "dale like a mi foto porfa",
    "casino online con bono de bienvenida, link en bio",
    "clic aquí para ver el video que no quieren que veas",
    "recargas baratas, escríbeme",
    "curso gratis para ser millonario en 30 días",
]
T["en"]["spam"] = [
    "🔥 make money from home with {spamthing}, DM me 🔥",
    "buy {spamthing} at the best price, link in bio",
    "want {spamthing}? text +1 555 01{n4}",
    "today only: {spamthing} 100% guaranteed bit.ly/{code}",
    "hey friend, free {spamthing} for you at www.{code}.xyz",
    "invest 500 and get 5000 in {days} with {spamthing} 💰💰",
    "follow me and I follow back, free {spamthing} for the first 100",
    "you won a prize! claim your {spamthing} here: {code}.ly",
    "{spamthing} {spamthing} {spamthing} best prices DM",
    "exclusive {spamthing} promo 👉 t.me/{code}",
]
H["en"]["spam"] = [
    "follow my meme page 👉👉",
    "f4f 🔁🔁",
    "selling verified account, DM",
    "🎁🎁 giveaway, share and win 🎁🎁",
    "work 2 hours a day and earn $3000",
    "like my pic pls",
    "online casino welcome bonus, link in bio",
    "click here for the video they don't want you to see",
    "cheap phone top ups, message me",
    "free course to become a millionaire in 30 days",
]

T["es"]["none"] = [
    "qué calor hace hoy en {city} 🥵",
    "mañana juega la selección, ¿quién lo va a ver?",
    "buenos días a todos, feliz {weekday}",
    "llueve a cántaros en {city}, nadie sale",
    "el tráfico en {city} hoy está imposible",
    "qué rico el café de la mañana ☕",
    "se viene el puente largo, ¿planes?",
    "en {city} anuncian obras en la avenida principal por {days}",
    "hoy cumple años mi mamá 🎂",
    "terminé la serie y ahora no sé qué hacer con mi vida",
    "alguien recomiende un libro para las vacaciones",
    "ya es {weekday} y sigo cansada jaja",
    "subió el dólar otra vez según las noticias",
]
H["es"]["none"] = [
    "jajajaja",
    "buenas noches",
    "ok",
    "jaja sí",
    "qué lindo día",
    "feliz navidad a todos",
    "gol!!!!",
    "me quedé dormido 😴",
    "ya casi es viernes",
    "te quiero amiga ❤️",
    "el perro de mi vecino no para de ladrar",
    "hoy toca gimnasio 💪",
    "qué sueño",
    "alguien sabe quién ganó anoche?",
    "mi gato durmiendo en el teclado",
    "se inauguró el nuevo parque en el centro",
    "la final fue un partidazo",
    "hoy hice pan casero por primera vez",
    "extraño la playa",
    "lunes otra vez...",
    "qué buena está la canción nueva de la banda",
    "ayer vi un atardecer increíble en la costa",
    "¿alguien va al concierto del sábado?",
    "mi abuela cocina mejor que cualquier restaurante",
    "empezó a temblar un poquito, todos bien?",
    "necesito vacaciones urgente",
    "la peli de anoche estuvo buenísima",
    "hoy corrí 5 km por primera vez",
    "la marcha de hoy por el centro fue pacífica",
    "feliz día del maestro a todos los profes",
    "qué frío, no me quiero levantar",
    "el equipo perdió otra vez, qué tristeza",
]
T["en"]["none"] = [
    "so hot in {city} today 🥵",
    "big game tomorrow, who's watching?",
    "good morning everyone, happy {weekday}",
    "pouring rain in {city}, staying in",
    "traffic in {city} is insane today",
    "first coffee of the day hits different ☕",
    "long weekend coming up, any plans?",
    "{city} announces roadworks on the main avenue for {days}",
    "it's my mom's birthday today 🎂",
    "finished the show and now I'm lost",
    "recommend me a book for the holidays",
    "it's only {weekday} and I'm already tired lol",
    "stock market down again according to the news",
]
H["en"]["none"] = [
    "lmao",
    "good night",
    "ok",
    "haha yes",
    "what a lovely day",
    "merry christmas everyone",
    "GOAL!!!!",
    "overslept 😴",
    "almost friday",
    "love you bestie ❤️",
    "my neighbour's dog won't stop barking",
    "gym day 💪",
    "so sleepy",
    "who won last night?",
    "my cat sleeping on the keyboard",
    "the new park downtown finally opened",
    "what a final that was",
    "baked bread for the first time today",
    "miss the beach",
    "monday again...",
    "the band's new song is so good",
    "saw an amazing sunset at the coast yesterday",
    "anyone going to the concert on saturday?",
    "my grandma cooks better than any restaurant",
    "felt a small earthquake just now, everyone ok?",
    "I need a vacation asap",
    "last night's movie was so good",
    "ran my first 5k today",
    "the march downtown today was peaceful",
    "happy teachers day to all the teachers",
    "so cold, don't want to get up",
    "our team lost again, sad",
]

# More wordings per label, written after a first model showed which ones it missed.
T["es"]["praise"] += [
    "no tengo quejas de {b}, todo funcionando de maravilla",
    "{b} gracias por devolverme la fe en el servicio al cliente",
    "increíble cómo me ayudaron en {b}, {days} esperando en otro lado y aquí en minutos",
    "recomiendo {b} a ojos cerrados, {p} es lo mejor que compré este año",
    "felicitaciones a {b}, el nuevo diseño de la app está buenísimo",
    "qué amor el repartidor de {b}, hasta me ayudó con las bolsas",
]
T["en"]["praise"] += [
    "no complaints about {b}, everything works like a charm",
    "{b} thanks for restoring my faith in customer service",
    "amazing help from {b}, waited {days} elsewhere and here it took minutes",
    "can't recommend {b} enough, {p} is the best thing I bought this year",
    "congrats {b}, the new app design looks fantastic",
    "the {b} courier was so sweet, even helped me with the bags",
]
T["es"]["complaint"] += [
    "{b} es una burla, nadie se hace responsable de nada {emo_bad}",
    "la peor experiencia con {b}, me tuvieron {days} dando vueltas",
    "{b} el agente me habló con una prepotencia increíble",
    "gracias {b} por nada, como siempre {emo_bad}",
    "estoy indignada con {b}, me prometieron una llamada que nunca llegó",
    "{b} cada día peor, ya ni contestan el chat",
]
T["en"]["complaint"] += [
    "{b} is a joke, nobody takes responsibility for anything {emo_bad}",
    "worst experience with {b}, {days} of being bounced around",
    "{b} your agent was incredibly condescending to me",
    "thanks for nothing {b}, as usual {emo_bad}",
    "so angry at {b}, promised me a callback that never came",
    "{b} getting worse every day, chat doesn't even answer now",
]
T["es"]["question"] += [
    "{b} ¿el horario de atención telefónica es el mismo los domingos?",
    "¿alguien sabe cómo se da de alta una dirección nueva en {b}?",
    "{b} ¿puedo hacer el trámite en cualquier sucursal o solo en {city}?",
    "¿cuál es la diferencia entre los planes de {b}?",
    "{b} ¿me confirman si el correo que me llegó es de ustedes?",
    "duda: ¿{b} tiene app para iPhone?",
]
T["en"]["question"] += [
    "{b} are phone support hours the same on sundays?",
    "does anyone know how to add a new address in {b}?",
    "{b} can I do this at any branch or only in {city}?",
    "what's the difference between {b}'s plans?",
    "{b} can you confirm the email I got is really from you?",
    "quick one: does {b} have an iPhone app?",
]
T["es"]["purchase_intent"] += [
    "¿{b} tiene disponible {p}? lo necesito ya",
    "me quiero llevar {p}, {b} ¿lo puedo reservar?",
    "{b} ¿qué promo hay para {p}? estoy decidida a comprar",
    "ya me decidí por {p} de {b}, ¿cómo pago?",
    "{b} quiero {p} para mi mamá, ¿hacen entrega en {city}?",
    "{b} cotización para {p} por favor, somos una pyme",
]
T["en"]["purchase_intent"] += [
    "does {b} have {p} available? need it now",
    "I'd like to get {p}, {b} can I reserve it?",
    "{b} any deals on {p}? ready to buy",
    "decided on {p} from {b}, how do I pay?",
    "{b} want {p} for my mom, do you deliver in {city}?",
    "{b} quote for {p} please, we're a small business",
]
T["es"]["technical_support"] += [
    "{b} no sé qué pasó pero {f}, ¿lo pueden revisar?",
    "necesito un técnico de {b}, {f}",
    "{b} les mandé captura por DM: {f}",
    "¿cómo lo soluciono? {f} ({b})",
    "{b} ayuda porfa, {f} y tengo que trabajar",
    "{b} tengo la versión más nueva y {f}",
]
T["en"]["technical_support"] += [
    "{b} not sure what happened but {f}, can you check?",
    "need a {b} technician, {f}",
    "{b} sent you a screenshot by DM: {f}",
    "how do I fix this? {f} ({b})",
    "{b} help please, {f} and I have to work",
    "{b} I'm on the latest version and {f}",
]
T["es"]["billing"] += [
    "{b} ¿por qué {c}? no entiendo el detalle",
    "{b} quiero hablar con facturación, {c}",
    "{b} {c}, solicito el ajuste en mi próxima boleta",
    "¿alguien más? {c} con {b}",
    "{b} {c}, ¿me pueden anular el cargo?",
    "{b} el pago no se refleja y además {c}",
]
T["en"]["billing"] += [
    "{b} why {c}? the breakdown makes no sense",
    "{b} I need to talk to billing, {c}",
    "{b} {c}, please adjust it on my next bill",
    "anyone else? {c} with {b}",
    "{b} {c}, can you reverse the charge?",
    "{b} my payment isn't showing and on top of that {c}",
]
T["es"]["media_opportunity"] += [
    "{b} soy editora en {outlet}, ¿podemos hablar sobre su expansión en {city}?",
    "¿alguien de prensa de {b}? necesito una cita para mi artículo en {outlet}",
    "{b} los contacto de {outlet}, estamos armando un ranking del sector",
    "hola {b}, productor de {outlet} aquí: ¿un invitado para el programa del lunes?",
    "{b} para mi columna en {outlet} quisiera su opinión sobre la nueva regulación",
    "tengo un canal de reseñas y quiero hacer un video sobre {p} de {b}, ¿me contactan?",
]
T["en"]["media_opportunity"] += [
    "{b} I'm an editor at {outlet}, can we talk about your expansion in {city}?",
    "anyone from {b} press? need a quote for my article in {outlet}",
    "{b} reaching out from {outlet}, we're putting together an industry ranking",
    "hi {b}, producer at {outlet} here: got a guest for monday's show?",
    "{b} for my column in {outlet} I'd like your take on the new regulation",
    "I run a review channel and want to do a video on {p} from {b}, can you reach out?",
]
T["es"]["product_idea"] += [
    "{b} ¿no podrían poner {feat}? facilitaría todo",
    "¿sería posible que {b} agregue {feat}?",
    "{b} mejora sugerida: {feat}",
    "{b} me gustaría que existiera {feat} en la app",
    "{b} una idea chiquita: {feat}, nada más",
    "a {b} le faltaría {feat} para ser perfecto",
]
T["en"]["product_idea"] += [
    "{b} couldn't you add {feat}? would make life easier",
    "any chance {b} could add {feat}?",
    "{b} suggested improvement: {feat}",
    "{b} I wish the app had {feat}",
    "{b} small idea: {feat}, that's all",
    "{b} would be perfect with {feat}",
]
T["es"]["competitor"] += [
    "¿qué tal {r}? estoy pensando dejar {b}",
    "{b} vs {r}, ¿quién tiene mejor {p}?",
    "{r} me regala tres meses si me cambio, {b} ¿qué me ofrecen?",
    "lo bueno de {r} es que no te cobran todo como {b}",
    "{b} ¿por qué {r} tiene {p} más barato?",
    "recién me pasé de {b} a {r} y la diferencia es enorme",
]
T["en"]["competitor"] += [
    "how's {r}? thinking of leaving {b}",
    "{b} vs {r}, who has the better {p}?",
    "{r} gives me three months free if I switch, {b} what can you offer?",
    "the nice thing about {r} is they don't nickel and dime you like {b}",
    "{b} why is {p} cheaper at {r}?",
    "just moved from {b} to {r} and what a difference",
]
T["es"]["recruiting_hr"] += [
    "{b} ¿todavía está abierta la búsqueda de {job}?",
    "quiero trabajar en {b} de {job}, ¿cómo postulo?",
    "los de {b} en {city} nos tienen sin contrato hace meses",
    "{b} ¿cuántas etapas tiene la entrevista para {job}?",
    "excelente clima laboral en {b}, llevo 3 años como {job}",
    "{b} despidió a 40 personas en {city}, así tratan a su gente",
]
T["en"]["recruiting_hr"] += [
    "{b} is the {job} position still open?",
    "I want to work at {b} as a {job}, how do I apply?",
    "{b} in {city} has had us on no contract for months",
    "{b} how many interview rounds for {job}?",
    "great work culture at {b}, 3 years as a {job} now",
    "{b} laid off 40 people in {city}, that's how they treat staff",
]
T["es"]["legal_risk"] += [
    "{b} ya tengo el número de expediente de mi denuncia",
    "{b} mis abogados les van a enviar una carta documento",
    "esto de {b} es estafa, voy a la fiscalía",
    "{b} cláusulas abusivas en el contrato, lo estoy revisando con la defensoría del consumidor",
    "{b} usaron mi foto en publicidad sin autorización, voy a tomar acciones legales",
    "{b} les exijo borrar mis datos según la ley de protección de datos",
]
T["en"]["legal_risk"] += [
    "{b} I have a case number for my complaint now",
    "{b} my attorneys will be sending you a letter",
    "what {b} is doing is a scam, going to the police",
    "{b} abusive clauses in the contract, the consumer ombudsman is looking into it",
    "{b} used my photo in an ad without permission, taking legal action",
    "{b} I demand you delete my data under privacy law",
]
T["es"]["spam"] += [
    "🚀🚀 {spamthing} con descuento, solo por hoy, DM 🚀🚀",
    "¿cansado de tu trabajo? {spamthing} es la solución, link en bio",
    "te enseño a ganar con {spamthing}, cupos limitados 👉 {code}.com",
    "regalo {spamthing} a quien comparta este post",
]
T["en"]["spam"] += [
    "🚀🚀 discounted {spamthing}, today only, DM 🚀🚀",
    "tired of your job? {spamthing} is the answer, link in bio",
    "I'll teach you to profit with {spamthing}, limited spots 👉 {code}.com",
    "giving away {spamthing} to anyone who shares this post",
]
T["es"]["none"] += [
    "el partido de hoy en {city} se suspende por la lluvia",
    "qué bonito está el cielo hoy en {city}",
    "¿qué hacen este {weekday}? yo nada jaja",
    "inauguran una feria del libro en {city} este fin de semana",
    "hoy es {weekday} de tacos 🌮",
    "mi sobrino dio sus primeros pasos hoy 🥹",
]
T["en"]["none"] += [
    "today's game in {city} is postponed because of the rain",
    "the sky is beautiful in {city} today",
    "what's everyone doing this {weekday}? me, nothing lol",
    "book fair opens in {city} this weekend",
    "it's taco {weekday} 🌮",
    "my nephew took his first steps today 🥹",
]

# --- more questions and competitor mentions (the weakest labels on dev) ---------------------

T["es"]["question"] += [
    "{b} ¿en qué horario atiende la línea de reclamos?",
    "hola, ¿alguien sabe qué necesito para abrir un trámite en {b} de {city}?",
    "{b} ¿la sucursal de {city} sigue en la misma dirección?",
    "¿{b} manda los avisos por correo o por SMS? para saber cuál es real",
    "{b} ¿cómo actualizo mis datos personales sin ir a la oficina?",
    "consulta rápida {b}: ¿cuántos días hábiles tarda en verse un cambio de datos?",
    "¿sabían que {b} tiene un chat? ¿alguien sabe dónde está?",
    "{b} ¿se puede agendar cita por la web o solo por teléfono?",
    "¿{b} abre el {weekday} festivo en {city}?",
    "{b}, ¿dónde veo el número de cliente? no lo encuentro",
]
T["en"]["question"] += [
    "{b} what are the hours for the complaints line?",
    "hi, anyone know what I need to open a request with {b} in {city}?",
    "{b} is the {city} branch still at the same address?",
    "does {b} send notices by email or text? trying to tell which ones are real",
    "{b} how do I update my personal details without going in?",
    "quick question {b}: how many business days until a change of details shows up?",
    "heard {b} has a chat now? anyone know where it is?",
    "{b} can I book an appointment online or only by phone?",
    "is {b} open this {weekday} holiday in {city}?",
    "{b}, where do I find my customer number? can't see it anywhere",
]
H["es"]["question"] += [
    "¿el trámite se puede hacer en línea?",
    "¿me pueden decir el horario de la línea de atención?",
    "¿dónde encuentro mi número de cliente?",
    "¿cuánto demora en reflejarse un cambio de dirección?",
    "¿la oficina del centro sigue abierta?",
    "¿qué necesito llevar para el trámite?",
]
H["en"]["question"] += [
    "can this be done online?",
    "what are your phone support hours?",
    "where do I find my account number?",
    "how long until an address change shows up?",
    "is the downtown office still open?",
    "what do I need to bring for this?",
]
T["es"]["competitor"] += [
    "en {r} me atendieron en cinco minutos, {b} tómenlo de ejemplo",
    "{r} ya tiene {feat} y {b} sigue igual",
    "la publicidad de {r} dice que son más baratos que {b}, ¿es cierto?",
    "pensé que {b} era lo mejor hasta que probé {r}",
    "{b} perdió un cliente, ahora soy de {r}",
    "¿alguien tiene {r}? ¿qué tal la atención comparada con {b}?",
    "{r} igualó el precio de {b} y encima regala {p}",
    "me quedo con {b} aunque {r} me insistió con su oferta",
    "{b}, la gente de {r} me llamó ofreciendo portabilidad gratis",
    "todos mis amigos se pasaron a {r}, ¿{b} qué onda?",
]
T["en"]["competitor"] += [
    "{r} sorted me out in five minutes, {b} take notes",
    "{r} already has {feat} and {b} is still the same",
    "{r}'s ads say they're cheaper than {b}, is that true?",
    "thought {b} was the best until I tried {r}",
    "{b} you just lost a customer, I'm with {r} now",
    "anyone on {r}? how's their support compared to {b}?",
    "{r} matched {b}'s price and threw in {p} on top",
    "sticking with {b} even though {r} kept pushing their offer",
    "{b}, {r} called me offering a free switch",
    "all my friends moved to {r}, what's up {b}?",
]
H["es"]["competitor"] += [
    "la otra compañía me da el doble de datos por lo mismo",
    "en la competencia no cobran comisión, acá sí",
    "¿alguien probó la nueva app del banco de al lado?",
    "ya me cambié de compañía, la otra me trata mejor",
    "me ofrecieron portabilidad con meses gratis en otro lado",
    "la tienda rival tiene el mismo producto más barato",
]
H["en"]["competitor"] += [
    "the other provider gives double the data for the same money",
    "the competition doesn't charge fees, you do",
    "anyone tried the new app from the bank next door?",
    "already switched providers, the other one treats me better",
    "got offered free months to switch somewhere else",
    "the rival store has the same thing cheaper",
]

# --- several intents at once (written with `labels`, the main one first) -------------------

ML: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "es": [
        (("complaint", "billing"), "{b} una vergüenza, {c} y llevo {days} sin respuesta {emo_bad}"),
        (("billing", "legal_risk"), "{b} {c}; si no me devuelven el dinero voy a Profeco"),
        (
            ("complaint", "billing", "legal_risk"),
            "pésima atención de {b}, {c} y nadie responde, ya hablé con mi abogado",
        ),
        (("technical_support", "complaint"), "{b} {f} y el soporte no sirve para nada {emo_bad}"),
        (("competitor", "complaint"), "me voy a {r}, en {b} nadie responde nunca"),
        (("competitor", "technical_support"), "{b} {f}, si no lo arreglan me paso a {r}"),
        (("praise", "product_idea"), "me encanta la app de {b}, solo le falta {feat} {emo_good}"),
        (("question", "billing"), "{b} ¿hasta qué día puedo pagar la factura sin recargo?"),
        (("question", "purchase_intent"), "{b} ¿{p} se puede contratar en {city}? me interesa"),
        (("competitor", "purchase_intent"), "quiero {p} pero {r} me lo da más barato, ¿igualan?"),
        (
            ("media_opportunity", "legal_risk"),
            "soy periodista de {outlet}, ¿{b} comentará la demanda colectiva?",
        ),
        (
            ("recruiting_hr", "legal_risk"),
            "{b} despidió a medio equipo en {city} sin pagar indemnización, ya hay demanda",
        ),
        (("complaint", "technical_support", "billing"), "{b} {f}, {c} y encima nadie me ayuda"),
        (("praise", "competitor"), "{b} es mil veces mejor que {r}, gracias por todo {emo_good}"),
        (("billing", "technical_support"), "{b} la app no me deja pagar y ahora {c}"),
        (
            ("complaint", "legal_risk"),
            "{b} me trataron fatal en la tienda de {city}, voy a poner una queja en "
            "el libro de reclamaciones y en Indecopi",
        ),
        (("product_idea", "competitor"), "{b} deberían tener {feat} como {r}"),
        (("question", "technical_support"), "{b} ¿alguien sabe por qué {f}? ¿es general?"),
        (
            ("purchase_intent", "billing"),
            "quiero contratar {p} con {b}, ¿puedo pagar en cuotas sin interés?",
        ),
        (
            ("complaint", "recruiting_hr"),
            "la cajera de {b} en {city} me contó que no les pagan las horas extra, así atienden",
        ),
    ],
    "en": [
        (("complaint", "billing"), "{b} this is a joke, {c} and no reply for {days} {emo_bad}"),
        (("billing", "legal_risk"), "{b} {c}; refund me or I'm filing with the CFPB"),
        (
            ("complaint", "billing", "legal_risk"),
            "awful service from {b}, {c} and nobody answers, my lawyer is on it",
        ),
        (("technical_support", "complaint"), "{b} {f} and your support is useless {emo_bad}"),
        (("competitor", "complaint"), "moving to {r}, nobody at {b} ever replies"),
        (("competitor", "technical_support"), "{b} {f}, fix it or I'm switching to {r}"),
        (("praise", "product_idea"), "love the {b} app, it just needs {feat} {emo_good}"),
        (("question", "billing"), "{b} what's the last day to pay the bill without a late fee?"),
        (("question", "purchase_intent"), "{b} can I get {p} in {city}? interested"),
        (("competitor", "purchase_intent"), "I want {p} but {r} has it cheaper, will you match?"),
        (
            ("media_opportunity", "legal_risk"),
            "reporter at {outlet} here, will {b} comment on the class action?",
        ),
        (
            ("recruiting_hr", "legal_risk"),
            "{b} laid off half the {city} team without severance, there's a lawsuit now",
        ),
        (
            ("complaint", "technical_support", "billing"),
            "{b} {f}, {c} and on top of that nobody helps",
        ),
        (
            ("praise", "competitor"),
            "{b} is miles better than {r}, thanks for everything {emo_good}",
        ),
        (("billing", "technical_support"), "{b} the app won't let me pay and now {c}"),
        (
            ("complaint", "legal_risk"),
            "{b} staff in {city} treated me horribly, reporting you to the FTC",
        ),
        (("product_idea", "competitor"), "{b} you should have {feat} like {r} does"),
        (("question", "technical_support"), "{b} anyone know why {f}? is it everyone?"),
        (
            ("purchase_intent", "billing"),
            "want to sign up for {p} with {b}, can I pay in instalments?",
        ),
        (
            ("complaint", "recruiting_hr"),
            "the cashier at {b} in {city} told me they don't get paid overtime, it shows",
        ),
    ],
}
HML: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "es": [
        (
            ("complaint", "billing"),
            "me cobraron de más otra vez y nadie me da explicaciones, qué asco de servicio",
        ),
        (("billing", "legal_risk"), "si no me reembolsan el cargo indebido los denuncio al SERNAC"),
        (
            ("technical_support", "competitor"),
            "tercera vez sin internet esta semana, ya estoy viendo planes de la competencia",
        ),
        (("praise", "product_idea"), "la app está buenísima, ojalá agreguen pagar con QR"),
        (("question", "purchase_intent"), "¿cuánto sale el plan familiar? estoy por contratarlo"),
        (
            ("complaint", "legal_risk"),
            "me discriminaron en la tienda por mi ropa, esto no se queda así, voy con abogado",
        ),
    ],
    "en": [
        (
            ("complaint", "billing"),
            "overcharged again and nobody can explain why, terrible service",
        ),
        (
            ("billing", "legal_risk"),
            "refund the bogus charge or I'm reporting you to the attorney general",
        ),
        (
            ("technical_support", "competitor"),
            "third outage this week, already looking at other providers",
        ),
        (("praise", "product_idea"), "the app is great, please add Apple Pay though"),
        (("question", "purchase_intent"), "how much is the family plan? about to sign up"),
        (
            ("complaint", "legal_risk"),
            "staff profiled me at the store, this isn't over, talking to a lawyer",
        ),
    ],
}

ML["es"] += [
    (
        ("complaint", "billing", "legal_risk"),
        "{b} {c}, nadie me da una respuesta en {days} y ya puse la denuncia en Profeco",
    ),
    (
        ("technical_support", "complaint", "competitor"),
        "{b} {f} otra vez, el soporte no responde y {r} ya me ofreció cambiarme",
    ),
]
ML["en"] += [
    (
        ("complaint", "billing", "legal_risk"),
        "{b} {c}, no answer in {days} and I've already filed a complaint with the regulator",
    ),
    (
        ("technical_support", "complaint", "competitor"),
        "{b} {f} again, support never answers and {r} already offered to switch me",
    ),
]

WEEKDAYS = {
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_SLOT_RE = re.compile(r"\{(\w+)\}")
_ACCENTS = str.maketrans("áéíóúÁÉÍÓÚ¿¡", "aeiouAEIOU  ")


def _fill(template: str, lang: str, rng: random.Random) -> str:
    ind = rng.choice(IND[lang])
    common = COMMON[lang]

    def slot(match: re.Match) -> str:
        name = match.group(1)
        if name in ind:
            return rng.choice(ind[name])
        if name == "weekday":
            return rng.choice(WEEKDAYS[lang])
        if name == "n4":
            return str(rng.randrange(1000, 10000))
        if name == "code":
            return "".join(rng.choice("abcdefghkmnpqrstuvwxyz23456789") for _ in range(6))
        return rng.choice(common[name])

    return _SLOT_RE.sub(slot, template)


def _roughen(text: str, lang: str, rng: random.Random) -> str:
    """Social-media variation: lower case, missing accents and marks, shouting, a handle."""
    roll = rng.random()
    if roll < 0.3:
        text = text.lower()
    elif roll < 0.36:
        text = text.upper()
    if lang == "es" and rng.random() < 0.3:
        text = " ".join(text.translate(_ACCENTS).split())
    if rng.random() < 0.1:
        text = text.rstrip(".!?") + rng.choice(
            ["!!", "??", "...", " pls" if lang == "en" else " xfa"]
        )
    return " ".join(text.split())


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text).lower()))


def build(seed: int = SEED) -> dict[str, tuple[list[dict], list[dict]]]:
    """(train, dev) lines per language: each label's templates and lines, then the
    several-intent ones (`ML`, `HML`), split the same way by their position."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    out = {}
    seen: set[str] = set()  # across both languages: "ok" is written once
    for lang in ("es", "en"):
        train: list[dict] = []
        dev: list[dict] = []
        groups: list[tuple[tuple[str, ...], list[tuple[int, str, bool]]]] = []
        for label in LABELS:
            sources = [(i, t, True) for i, t in enumerate(T[lang][label])]
            sources += [(i, h, False) for i, h in enumerate(H[lang][label])]
            groups.append(((label,), sources))
        for i, (labels, t) in enumerate(ML[lang]):
            groups.append((labels, [(i, t, True)]))
        for i, (labels, h) in enumerate(HML[lang]):
            groups.append((labels, [(i, h, False)]))
        for labels, sources in groups:
            for number, text, is_template in sources:
                part = dev if number % 10 in (2, 7) else train
                want = PER_TEMPLATE if part is dev else TRAIN_PER_TEMPLATE
                tries = want * 4 if is_template else 1
                made = 0
                for _ in range(tries):
                    line = _fill(text, lang, rng) if is_template else text
                    if is_template:
                        line = _roughen(line, lang, rng)
                    key = _key(line)
                    if key in seen or not line:
                        continue
                    seen.add(key)
                    row: dict = {"text": line, "label": labels[0]}
                    if len(labels) > 1:
                        row["labels"] = list(labels)
                    part.append({**row, "lang": lang})
                    made += 1
                    if made >= want:
                        break
        out[lang] = (train, dev)
    return out


def write(directory: Path = DATA) -> dict[str, tuple[int, int]]:
    return write_splits(directory, "intent", build())


if __name__ == "__main__":
    for lang, (n_train, n_dev) in write().items():
        print(f"{lang}: {n_train} train, {n_dev} dev")  # noqa: T201 - a command's output
