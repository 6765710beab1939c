# ruff: noqa: E501 - the sentences of the demo read better unbroken
"""The words of the demo: places, people, plans and the sentence parts mentions are built from.

Templates use two small notations, filled by `content.render`:

- `[a|b|c]` picks one alternative (`[|texto]` is "sometimes"); brackets may nest.
- `{slot}` is replaced by a value of the mention's context (city, plan, amount, ...);
  the slots are listed in `content.Context.SLOTS`.

Everything here is invented: Ceibo Telecom, its competitors, the media outlets and the
people do not exist. Cities, regulators and slang are real, to make the texts plausible.
"""

# fmt: off
# --- company ------------------------------------------------------------------------

COMPANY = "Ceibo"
BRANDS = {"movil": "Ceibo Móvil", "fibra": "Ceibo Fibra"}
BRAND_KEYWORDS = {
    "movil": ["Ceibo Móvil", "CeiboMovil", "Mi Ceibo", "Ceibo Prepago"],
    "fibra": ["Ceibo Fibra", "CeiboFibra", "Ceibo TV", "Ceibo Hogar"],
}
PLANS = {
    "movil": [
        "Plan Libre 15 GB", "Plan Libre 30 GB", "Plan Libre 60 GB", "Plan Ilimitado",
        "Plan Ilimitado Plus", "Plan Familia 4 líneas", "Prepago Recarga Fácil",
        "Plan Joven 25 GB", "Plan Viajero", "Plan Empresas",
    ],
    "fibra": [
        "Fibra 300 Megas", "Fibra 500 Megas", "Fibra 1 Giga", "Combo Fibra + TV",
        "Combo Triple", "Fibra Gamer 700", "Fibra Hogar 200",
    ],
}
PLANS_EN = {
    "movil": ["Libre 15 GB plan", "Libre 30 GB plan", "Unlimited plan", "Unlimited Plus",
              "prepaid Recarga Fácil", "Viajero roaming plan", "family plan"],
    "fibra": ["300 Mbps fiber", "500 Mbps fiber", "1 Gig fiber", "fiber + TV bundle",
              "Gamer 700 plan"],
}
COMPETITORS = ["Norte Móvil", "Pampa Cel", "Vértice Telecom", "Ola Fibra", "Zenda", "Red Austral"]
OUTLETS_ES = ["Diario Horizonte", "Revista Señal", "Pulso Tecnológico", "El Eco Digital",
              "Noticias del Valle", "Radio Metrópoli", "Cono Sur Tech", "TecnoAndes",
              "Semanario La Brújula"]
OUTLETS_EN = ["LatAm Telecom Weekly", "Southern Cone Business Review", "The Andes Post",
              "Connected Americas", "Nearshore Tech Journal"]
JOBS_ES = ["agente de call center", "técnico instalador", "ingeniero de redes",
           "analista de datos", "ejecutivo de ventas", "desarrollador backend",
           "practicante de marketing", "community manager", "supervisor de tienda",
           "especialista en ciberseguridad"]
JOBS_EN = ["network engineer", "data analyst", "backend developer", "product manager",
           "customer support lead", "security engineer", "sales executive"]
TRIPS_ES = ["Estados Unidos", "España", "Perú", "Brasil", "Europa", "Canadá", "Uruguay",
            "Panamá", "Guatemala", "Japón"]
TRIPS_EN = ["the US", "Spain", "Peru", "Brazil", "Europe", "Canada", "Panama", "home"]
MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
WEEKDAYS_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TECH_NAMES = ["Jorge", "Miguel", "Ana", "Rubén", "Claudia", "Héctor", "Luis", "Marcela",
              "Fabián", "Wilson", "Patricio", "Sergio", "Yesenia"]
DEVICES = ["el iPhone", "mi Android", "el celular de mi mamá", "la tablet", "mi cel nuevo",
           "el teléfono del trabajo", "el módem", "el decodificador", "la smart TV"]

# --- countries -----------------------------------------------------------------------
# Each: cities with neighbourhoods, UTC offset, regulators, money format, names, slang.

COUNTRIES = {
    "MX": {
        "name": "México",
        "utc": -6,
        "cities": {
            "CDMX": ["Coyoacán", "Iztapalapa", "la Narvarte", "la Roma Norte", "Tlalpan",
                     "Azcapotzalco", "la Del Valle", "Santa Fe"],
            "Guadalajara": ["Zapopan", "Tlaquepaque", "Providencia", "Chapalita"],
            "Monterrey": ["San Pedro", "Cumbres", "Apodaca", "Guadalupe"],
            "Puebla": ["Angelópolis", "Cholula", "La Paz"],
            "Mérida": ["Montejo", "el Centro", "Altabrisa"],
            "Querétaro": ["Juriquilla", "El Refugio", "Centro Sur"],
            "Tijuana": ["Otay", "Playas de Tijuana", "Zona Río"],
        },
        "reg": "PROFECO", "treg": "la autoridad de telecomunicaciones",
        "dreg": "la autoridad de protección de datos", "drights": "mis derechos ARCO",
        "ticket": "folio", "money": ("{:,}", ","), "plan_range": (199, 1099, 50, -1),
        "charge_range": (120, 2600, 10, 0),
        "first": ["Alejandro", "Fernanda", "José Luis", "Guadalupe", "Ximena", "Diego",
                  "Valeria", "Luis Ángel", "Mariana", "Itzel", "Carlos", "Daniela", "Jorge",
                  "Andrea", "Brenda", "Óscar", "Karla", "Emiliano", "Regina", "Juan Pablo"],
        "last": ["Hernández", "García", "Martínez", "López", "González", "Ramírez", "Flores",
                 "Cruz", "Morales", "Reyes", "Jiménez", "Ortiz", "Castillo", "Vázquez",
                 "Mendoza", "Aguilar"],
        "nick": ["mafer", "lupita", "pepe", "memo", "chuy", "paco", "xime", "beto", "gaby"],
        "flag": "🇲🇽",
        "angry_open": ["Neta {B},", "No manches {B},", "Chale,", "Oigan {B},", "Qué poca {B},"],
        "angry_close": ["Qué oso.", "Están bien gachos.", "Ya me tienen harto.",
                        "Nomás cobran y ya.", "Bien gacho el servicio."],
        "happy_open": ["Bien chido {B},", "Qué padre,", "Órale {B},"],
        "happy_close": ["Está padrísimo.", "Bien chido.", "Se la rifaron."],
        "ask_open": ["Qué onda {B},", "Oigan,", "Una pregunta {B}:"],
        "ask_close": ["¿Alguien sabe?", "Gracias de antemano.", "Porfa, urge."],
        "slang": ["Neta.", "Qué onda con eso.", "Ya saben."],
        "subs": ["mexico", "MexicoFinanciero", "Monterrey", "guadalajara", "MexicoCity"],
    },
    "CO": {
        "name": "Colombia",
        "utc": -5,
        "cities": {
            "Bogotá": ["Chapinero", "Suba", "Kennedy", "Usaquén", "Engativá", "Teusaquillo",
                       "Fontibón", "Cedritos"],
            "Medellín": ["Laureles", "El Poblado", "Belén", "Envigado", "Robledo", "Bello"],
            "Cali": ["Ciudad Jardín", "San Fernando", "El Ingenio", "Pance"],
            "Barranquilla": ["El Prado", "Riomar", "Villa Country"],
            "Bucaramanga": ["Cabecera", "Floridablanca"],
            "Cartagena": ["Manga", "Bocagrande", "Crespo"],
        },
        "reg": "la SIC", "treg": "la CRC", "dreg": "la SIC",
        "drights": "mi derecho de habeas data", "ticket": "radicado",
        "money": ("{:,}", "."), "plan_range": (39900, 189900, 10000, -100),
        "charge_range": (18000, 480000, 1000, 0),
        "first": ["Santiago", "Valentina", "Juan Camilo", "Laura", "Andrés Felipe", "Daniela",
                  "Sebastián", "María José", "Camilo", "Natalia", "Julián", "Paula", "Mateo",
                  "Luisa Fernanda", "Esteban", "Catalina"],
        "last": ["Rodríguez", "Gómez", "Restrepo", "Ospina", "Cárdenas", "Vargas", "Muñoz",
                 "Rojas", "Londoño", "Castaño", "Quintero", "Zapata", "Arango", "Benítez"],
        "nick": ["pipe", "juanca", "mafe", "caro", "sebas", "vale", "nata", "cami"],
        "flag": "🇨🇴",
        "angry_open": ["Uy no {B},", "Qué boleta {B},", "Parce,", "Ay juemadre,",
                       "{B} qué falta de seriedad,"],
        "angry_close": ["Qué pereza con ustedes.", "Eso no es serio.", "Me tienen mamado.",
                        "Qué falta de respeto.", "Uno pagando puntual y vea."],
        "happy_open": ["Qué chimba {B},", "Bacano,", "De una {B},"],
        "happy_close": ["Muy bacano.", "Qué chimba de servicio.", "Mil gracias, de verdad."],
        "ask_open": ["Buenas, sumercé,", "Hola parceros,", "Buenas {B},"],
        "ask_close": ["Quedo atento.", "Mil gracias.", "¿Alguien sabe, parceros?"],
        "slang": ["Vea pues.", "Hágame el favor.", "Así no, parce."],
        "subs": ["Colombia", "medellin", "Bogota", "cali"],
    },
    "CL": {
        "name": "Chile",
        "utc": -3,
        "cities": {
            "Santiago": ["Providencia", "Ñuñoa", "Maipú", "Puente Alto", "La Florida",
                         "Las Condes", "Estación Central", "Recoleta"],
            "Valparaíso": ["Cerro Alegre", "Playa Ancha", "Cerro Barón"],
            "Viña del Mar": ["Reñaca", "Miraflores", "Forestal"],
            "Concepción": ["San Pedro de la Paz", "Talcahuano", "Chiguayante"],
            "Antofagasta": ["el centro", "Jardines del Sur"],
            "Temuco": ["Pueblo Nuevo", "Labranza"],
        },
        "reg": "el SERNAC", "treg": "la Subtel", "dreg": "la Agencia de Protección de Datos",
        "drights": "mis derechos sobre mis datos personales", "ticket": "número de caso",
        "money": ("{:,}", "."), "plan_range": (9990, 39990, 1000, -10),
        "charge_range": (4500, 130000, 500, 0),
        "first": ["Matías", "Constanza", "Benjamín", "Francisca", "Tomás", "Javiera",
                  "Cristóbal", "Catalina", "Ignacio", "Antonia", "Felipe", "Fernanda",
                  "Vicente", "Josefa"],
        "last": ["Muñoz", "Rojas", "Díaz", "Soto", "Contreras", "Silva", "Sepúlveda",
                 "Morales", "Fuentes", "Araya", "Espinoza", "Tapia", "Riquelme", "Valenzuela"],
        "nick": ["pato", "cote", "nacho", "coni", "benja", "feña", "javi", "cris"],
        "flag": "🇨🇱",
        "angry_open": ["Oye {B},", "Qué lata,", "Ya po {B},", "{B}, en serio,",
                       "Otra vez {B},"],
        "angry_close": ["Un chiste.", "Qué falta de respeto po.", "Fome, fome.",
                        "Cachai que es la tercera vez?", "Nunca más."],
        "happy_open": ["La raja {B},", "Bacán,", "Buena {B},"],
        "happy_close": ["La raja.", "Bacán el servicio.", "Al tiro lo solucionaron."],
        "ask_open": ["Hola, consulta po:", "Oye {B}, una consulta:", "Hola {B},"],
        "ask_close": ["Gracias po.", "¿Alguien cacha?", "Saludos."],
        "slang": ["Cachai.", "Ya po.", "Al tiro, porfa."],
        "subs": ["chile", "RepublicadeChile", "santiago", "Valparaiso"],
    },
    "AR": {
        "name": "Argentina",
        "utc": -3,
        "cities": {
            "Buenos Aires": ["Palermo", "Caballito", "Almagro", "Flores", "Belgrano",
                             "Villa Urquiza", "Boedo", "San Telmo"],
            "Córdoba": ["Nueva Córdoba", "Alta Córdoba", "Cerro de las Rosas"],
            "Rosario": ["Fisherton", "Echesortu", "Pichincha"],
            "Mendoza": ["Godoy Cruz", "Guaymallén", "Chacras de Coria"],
            "La Plata": ["City Bell", "Tolosa", "Gonnet"],
            "Mar del Plata": ["Punta Mogotes", "La Perla"],
        },
        "reg": "Defensa del Consumidor", "treg": "el ENACOM", "dreg": "la AAIP",
        "drights": "mis derechos de la Ley 25.326", "ticket": "número de reclamo",
        "money": ("{:,}", "."), "plan_range": (9500, 49900, 1000, -100),
        "charge_range": (5000, 160000, 500, 0),
        "first": ["Martín", "Sofía", "Lucas", "Camila", "Facundo", "Agustina", "Nicolás",
                  "Florencia", "Tomás", "Micaela", "Julián", "Lucía", "Franco", "Milagros",
                  "Gonzalo"],
        "last": ["González", "Rodríguez", "Fernández", "López", "Gómez", "Pérez", "Romero",
                 "Sosa", "Álvarez", "Benítez", "Acosta", "Medina", "Herrera", "Quiroga",
                 "Ferrari"],
        "nick": ["fede", "flor", "tincho", "juli", "mica", "gonza", "agus", "lu"],
        "flag": "🇦🇷",
        "angry_open": ["Che {B},", "Posta,", "Qué desastre {B},", "Loco,", "{B}, ¿me explican"],
        "angry_close": ["Un desastre.", "Me tienen podrido.", "Una vergüenza, posta.",
                        "Son un chiste.", "Qué bronca."],
        "happy_open": ["Buenísimo {B},", "Genios,", "Che {B}, un 10:"],
        "happy_close": ["Un lujo.", "Re bien.", "Una masa."],
        "ask_open": ["Che, consulta:", "Buenas, una pregunta:", "Hola {B}, consulta:"],
        "ask_close": ["Gracias, abrazo.", "¿Alguien sabe?", "Mil gracias."],
        "slang": ["Posta.", "Che, en serio.", "Abrazo."],
        "subs": ["argentina", "BuenosAires", "cordoba", "Rosario"],
    },
}

# English-speaking authors live in (or travel to) these countries; names for them:
EN_FIRST = ["Emily", "Jake", "Sarah", "Michael", "Olivia", "Ryan", "Hannah", "Chris",
            "Megan", "Tyler", "Rachel", "Daniel", "Priya", "Ahmed", "Chloe", "Liam",
            "Grace", "Noah"]
EN_LAST = ["Smith", "Johnson", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas",
           "Moore", "Clark", "Walker", "Patel", "Nguyen", "O'Brien", "Schmidt", "Kowalski"]
EN_NICK = ["jay", "em", "sam", "alex", "nomad", "dev", "kat"]

# Known voices: (display name, handle stem, followers, lang, country, outlet).
JOURNALISTS = [
    ("Carolina Méndez · Diario Horizonte", "caromendez_dh", 48_300, "es", "MX", "Diario Horizonte"),
    ("Andrés Villalobos (Revista Señal)", "avillalobos", 12_900, "es", "CO", "Revista Señal"),
    ("Paula Ibarra — Pulso Tecnológico", "paulaibarra", 95_400, "es", "CL", "Pulso Tecnológico"),
    ("Rodrigo Salinas, El Eco Digital", "rsalinas_eco", 31_200, "es", "AR", "El Eco Digital"),
    ("Valeria Quintana | Radio Metrópoli", "vquintana", 7_800, "es", "MX", "Radio Metrópoli"),
    ("Diego Arancibia - TecnoAndes", "darancibia", 22_100, "es", "CL", "TecnoAndes"),
    ("Megan Hartley, LatAm Telecom Weekly", "meganhartley", 22_600, "en", "CO", "LatAm Telecom Weekly"),
    ("Tom Becker (Connected Americas)", "tbecker", 8_400, "en", "MX", "Connected Americas"),
]
INFLUENCERS = [
    ("TecnoLupita", "tecnolupita", 854_000, "es", "MX"),
    ("Pipe Gadgets", "pipegadgets", 421_000, "es", "CO"),
    ("La Nacha Tech", "lanachatech", 233_000, "es", "CL"),
    ("Tincho Reviews", "tinchoreviews", 1_210_000, "es", "AR"),
    ("Nomad Nico", "nomadnico", 186_000, "en", "CO"),
    ("Rita Gamer", "ritagamer", 97_000, "es", "MX"),
]

# --- moods: how a category opens and closes ---------------------------------------------

MOOD = {
    "complaint": "angry", "legal": "angry", "billing": "angry", "praise": "happy",
    "question": "ask", "support": "ask", "purchase_intent": "ask", "idea": "friendly",
    "media": "formal", "recruiting": "job", "competitor": "angry", "spam": "none",
}

OPENERS = {
    "es": {
        "angry": ["", "", "", "{B}", "{B}", "Hola {B},", "Oigan {B},", "Qué vergüenza {B}.",
                  "Increíble.", "Otra vez lo mismo.", "No puede ser.", "Ya basta {B}.",
                  "Señores de {B},", "{B} ¿hasta cuándo?", "Una vez más {B} fallando.",
                  "A ver {B},", "Buenas tardes {B}.", "Estimados {B}:"],
        "happy": ["", "", "{B}", "Gracias {B}!", "Tengo que decirlo:", "Un aplauso para {B}.",
                  "Punto para {B}.", "Hay que reconocer cuando las cosas se hacen bien.",
                  "Pocas veces escribo para felicitar, pero", "Ojo, buena experiencia:"],
        "ask": ["", "", "{B}", "Hola {B},", "Buenas,", "Una pregunta:", "Consulta:",
                "Buenas tardes,", "Buenos días,", "Disculpen,", "Hola, ¿me ayudan?"],
        "friendly": ["", "{B}", "Idea para {B}:", "Sugerencia:", "Oigan {B},",
                     "Propuesta para {B}:", "Les dejo una idea:"],
        "formal": ["", "Buenas tardes.", "Hola, equipo de prensa de {B}:", "{B}", "Buen día,"],
        "job": ["", "", "{B}", "Hola {B},", "Buenas,", "Consulta:", "Pregunta seria:", "Ojo:",
                "Para los que preguntan:"],
        "none": [""],
    },
    "en": {
        "angry": ["", "", "{B}", "Hey {B},", "Seriously {B}?", "Unbelievable.", "Again?!",
                  "{B} this is ridiculous.", "Not happy with {B}.", "Dear {B},"],
        "happy": ["", "{B}", "Shoutout to {B}!", "Props to {B}:", "Gotta say it:",
                  "Credit where it's due:"],
        "ask": ["", "{B}", "Hi {B},", "Quick question:", "Hey,", "Hello,", "Anyone know:"],
        "friendly": ["", "{B}", "Feature request for {B}:", "Idea:", "Suggestion for {B}:"],
        "formal": ["", "Hello,", "Hi {B} press team,", "Good afternoon,"],
        "job": ["", "{B}", "Hi {B},", "Question:", "Honest question:"],
        "none": [""],
    },
}

CLOSERS = {
    "es": {
        "angry": ["", "", "", "Pésimo servicio.", "¿Alguien más?", "Exijo una solución.",
                  "Ya me cansé.", "Me voy a cambiar de compañía.", "Qué vergüenza.",
                  "¿Para esto pago?", "Ni una respuesta.", "Cero empatía.", "Solucionen ya.",
                  "Y todavía suben los precios.", "Nunca más.", "Lamentable.",
                  "Respondan por favor.", "Estoy harta.", "Estoy harto."],
        "happy": ["", "", "Así sí.", "Recomendadísimo.", "Gracias de verdad.", "10/10.",
                  "Sigan así.", "Por fin.", "Me quedo con ustedes.", "Muy contenta.",
                  "Muy contento."],
        "ask": ["", "", "Gracias!", "Gracias de antemano.", "Saludos.", "Quedo atenta.",
                "Quedo atento.", "Porfa respondan.", "¿Alguien sabe?", "Espero su respuesta.",
                "Mil gracias."],
        "friendly": ["", "", "¿Qué opinan?", "Sería genial.", "Yo pagaría por eso.",
                     "Ojalá lo tomen en cuenta.", "Saludos!"],
        "formal": ["", "Quedo atento a su respuesta.", "Quedo atenta a su respuesta.",
                   "Mi DM está abierto.", "Gracias.", "Saludos cordiales."],
        "job": ["", "", "Gracias!", "Saludos.", "¿Alguien sabe?", "Se agradece la info.",
                "Ojalá me respondan.", "Ahí les dejo."],
        "none": [""],
    },
    "en": {
        "angry": ["", "", "Terrible service.", "Anyone else?", "Fix it.", "So done with this.",
                  "Switching providers.", "What am I paying for?", "Still no reply.",
                  "Unacceptable."],
        "happy": ["", "", "Impressed.", "10/10.", "Highly recommend.", "Keep it up.",
                  "Thank you!"],
        "ask": ["", "", "Thanks!", "Thanks in advance.", "Any help appreciated.", "Cheers.",
                "Anyone?"],
        "friendly": ["", "Would love this.", "Just a thought.", "I'd pay for it."],
        "formal": ["", "Thanks.", "DMs are open.", "Happy to hop on a call.", "Best regards."],
        "job": ["", "Thanks!", "Any info appreciated."],
        "none": [""],
    },
}

# --- the cores: what a mention is about, per language, category and brand -------------

CORES = {
    "es": {
        "complaint": {
            "fibra": [
                "llevo {hours} sin internet en {hood}[, {city}|] y nadie da la cara.",
                "se cayó la fibra otra vez[ en {hood}|]. Es la {nth} vez esta semana.",
                "pago {planf} y el speedtest marca {speed_r} megas. ¡{speed_r} de {speed_p}!",
                "el técnico quedó de venir el {weekday} [entre 8 y 2|en la mañana|en la tarde] y nunca llegó[, perdí el día de trabajo|].",
                "desde el {weekday} el módem parpadea en rojo y en soporte solo me dicen que lo reinicie.",
                "el WiFi se corta cada [10|15|20|30] minutos, imposible trabajar desde casa.",
                "tengo clases en línea y con esta conexión no se puede[, mi hija perdió un examen|, me sacan de la llamada a cada rato|].",
                "[me instalaron|contraté] la fibra hace {days} y ya van {n} fallas.",
                "la tele se congela cada rato[ en pleno partido| justo en la final|].",
                "hace {days} que reporté la falla ({ticket_word} {ticket}) y sigue igual.",
                "en las noches la latencia es horrible, [ping de {ping} ms|lag todo el rato] jugando en línea.",
                "me dijeron que la instalación era en 48 horas y ya pasaron {days}.",
                "para cancelar me piden ir a una sucursal, pero para contratar fue por teléfono en cinco minutos.",
                "otra caída masiva en {city}[ y ni un aviso.|. ¿Y la compensación?|.]",
                "sin servicio en {hood} desde [anoche|las 6 am|el mediodía|ayer]. ¿Qué está pasando?",
                "cambiaron el módem y ahora el WiFi no llega ni al cuarto de al lado.",
                "la fibra 'simétrica' sube a {speed_r} megas. Publicidad engañosa.",
                "el técnico vino, dijo que era problema del poste y se fue. Sigo sin internet.",
            ],
            "movil": [
                "no hay señal en {hood}[, {city}|]. Ni para mandar un mensaje.",
                "pagué el roaming para {trip} y [no me funcionó ni un día|los datos nunca jalaron|me quedé incomunicado].",
                "la portabilidad lleva {days} y sigo sin línea.",
                "los datos se acaban rarísimo: casi no uso el cel y ya dice que consumí {gb} GB.",
                "la red 5G que anuncian no existe en {city}, me marca 4G o hasta 3G.",
                "las llamadas se cortan a cada rato[ en {hood}|, en la casa y en la oficina|].",
                "me cambiaron de plan sin avisarme[ y ahora pago {amount}|].",
                "no me llegan los SMS del banco y no puedo hacer transferencias.",
                "en el metro cero señal, en la calle una rayita. ¿Para qué tengo {planm}?",
                "compré la eSIM y lleva {days} sin activarse.",
                "a mi mamá le bloquearon [la línea|el chip] y nadie nos dice por qué.",
                "me robaron el cel y para reponer el chip me pidieron [tres papeles distintos|ir dos veces a la tienda|pagar {amount}].",
                "en la carretera a [la costa|la playa|mi pueblo] no hay ni una rayita de {co}.",
                "desde la actualización de la red el internet del celular va lentísimo.",
                "la recarga de {amount} no se aplicó y ya me descontaron el dinero.",
            ],
            "any": [
                "la atención en la tienda de {hood} fue pésima, el asesor ni me miró.",
                "llamé a servicio al cliente y me colgaron [dos|tres|cuatro] veces.",
                "el chat de la app te deja esperando {hours}.",
                "me atendieron de muy mala manera por WhatsApp[, muy groseros|, me dejaron en visto|].",
                "llevo {n} llamadas y cada asesor me dice algo distinto.",
                "en la línea de atención [te pasean por cinco menús|la música dura más que la llamada|te cortan cuando por fin contesta alguien].",
                "prometieron devolverme la llamada en 24 horas. Van {days}.",
                "me vendieron un plan que no existe en mi zona.",
                "el asesor me dijo que era mi culpa por 'no saber usar el módem'. Tengo {age} años usando internet.",
                "cancelé hace {days} y me siguen llegando cobros.",
                "cada vez que reclamo abren un {ticket_word} nuevo y empiezo de cero.",
            ],
        },
        "praise": {
            "fibra": [
                "el técnico {tech} llegó puntual y dejó todo funcionando en una hora.",
                "la fibra vuela: {speed_ok} megas reales por cable.",
                "me cambié a {planf} y por fin puedo trabajar desde casa sin cortes.",
                "la instalación fue rapidísima, pedí el {weekday} y el {weekday2} ya tenía internet.",
                "cero caídas en {days}. Nunca había tenido un internet tan estable.",
                "jugando en línea con ping de {ping_ok} ms, una maravilla.",
                "el nuevo módem WiFi 6 llega a toda la casa, hasta al patio.",
                "se me cayó el internet y lo restablecieron en 20 minutos. Así da gusto.",
            ],
            "movil": [
                "cambié a {co} y la señal en {hood} es otra cosa.",
                "el roaming en {trip} funcionó perfecto, sin sorpresas en la factura.",
                "la portabilidad tardó menos de un día.",
                "el {planm} rinde muchísimo, me sobran gigas cada mes.",
                "la eSIM se activó en dos minutos desde la app.",
                "5G en {city} volando, {speed_ok} megas en el celular.",
                "por fin un operador que no te cobra hasta el aire.",
            ],
            "any": [
                "la atención por WhatsApp resolvió mi problema en cinco minutos.",
                "la chica de la tienda de {hood} fue súper amable y paciente con mi papá.",
                "me devolvieron {amount} de un cobro mal hecho sin que tuviera que pelear.",
                "el equipo de soporte, en especial {tech}, se merece un aumento.",
                "la app Mi Ceibo es sencilla y pago en dos clics.",
                "llevo {years} años con {co} y nunca me han fallado.",
                "respondieron mi queja en redes en menos de una hora y lo arreglaron.",
                "hay que decirlo: el servicio ha mejorado muchísimo este año.",
            ],
        },
        "question": {
            "fibra": [
                "¿la fibra de {co} llega a {hood}?",
                "¿el {planf} incluye el módem o se paga aparte?",
                "¿cuánto tarda la instalación en {city}?",
                "¿puedo cambiar de domicilio sin pagar instalación otra vez?",
                "¿el combo con TV incluye los partidos de fútbol?",
                "¿tienen IP fija para el plan de hogar?",
                "¿hay permanencia mínima en {planf}?",
            ],
            "movil": [
                "¿el {planm} funciona en {trip}?",
                "¿cómo sé si mi celular es compatible con eSIM?",
                "¿las redes sociales se descuentan de mis datos en {planm}?",
                "¿qué pasa con mis gigas si no los uso este mes?",
                "¿puedo compartir datos con otra línea de la familia?",
                "¿cuánto cuesta el roaming diario en {trip}?",
                "¿la recarga de {amount} cuánto dura?",
            ],
            "any": [
                "¿a qué hora abre la tienda de {hood}?",
                "¿cuál es el número de atención para {city}?",
                "¿aceptan pago en efectivo en tiendas?",
                "¿dónde veo el vencimiento de mi factura?",
                "¿tienen descuento para jubilados o estudiantes?",
                "¿el precio que sale en la web ya incluye impuestos?",
                "¿por dónde les escribo si no me contestan el teléfono?",
                "¿hasta cuándo es la promo del {weekday}?",
            ],
        },
        "support": {
            "fibra": [
                "el módem tiene la luz LOS en rojo, ¿qué hago?",
                "¿cómo cambio la contraseña del WiFi?",
                "no puedo entrar a la configuración del módem, ¿cuál es la IP?",
                "el decodificador dice 'sin señal' aunque el internet sí funciona.",
                "¿cómo separo la red de 2.4 y 5 GHz?",
                "la smart TV no se conecta al WiFi pero el celular sí.",
                "¿cómo configuro el repetidor que me dieron?",
                "la fibra funciona por cable pero por WiFi va lentísimo, ¿es el módem?",
            ],
            "movil": [
                "¿cómo configuro el APN? No tengo datos desde que cambié de celular.",
                "no me llegan los SMS de verificación de ninguna app.",
                "compré un cel nuevo y no reconoce el chip.",
                "¿cómo activo la eSIM en {device}?",
                "el buzón de voz se activó solo, ¿cómo lo quito?",
                "me aparece 'solo llamadas de emergencia' desde {weekday}.",
                "¿cómo desbloqueo mi chip? Me pide el PUK.",
            ],
            "any": [
                "la app Mi Ceibo se cierra al abrir, ya la reinstalé.",
                "no puedo iniciar sesión en la app, dice 'usuario no encontrado'.",
                "¿cómo descargo mi factura en PDF?",
                "olvidé mi contraseña y el correo de recuperación no llega.",
                "¿cómo agrego a otra persona como titular autorizado?",
                "el pago automático dejó de funcionar, ¿cómo lo vuelvo a activar?",
            ],
        },
        "purchase_intent": {
            "fibra": [
                "¿qué plan me recomiendan para [trabajar desde casa|una familia de cinco|jugar en línea|streaming en 4K]?",
                "me mudo a {hood} el próximo mes, ¿llega la fibra de {co}? Quiero contratar.",
                "estoy entre {planf} y {planf2}, ¿cuál conviene para [dos personas|teletrabajo|una oficina chica]?",
                "¿qué promo tienen para contratar fibra este mes? Quiero cambiarme de {comp}.",
                "necesito internet para un local en {city}, ¿tienen planes para negocio?",
                "¿cuánto sale el {planf} con TV? Lo quiero contratar ya.",
                "¿me pueden llamar para contratar? Vivo en {hood}, {city}.",
            ],
            "movil": [
                "quiero portarme a {co}, ¿cuánto tarda y qué necesito?",
                "¿qué plan me recomiendan para [viajar seguido|redes sociales|usar mucho el GPS|mis papás]?",
                "busco plan familiar para {n} líneas, ¿qué opciones hay?",
                "¿cuánto cuesta el {planm} con un celular incluido?",
                "cotización para {lines} líneas empresariales, ¿con quién hablo?",
                "quiero una línea para mi hijo, ¿tienen algo con control parental?",
                "¿el {planm} tiene promo de portabilidad? Vengo de {comp}.",
            ],
            "any": [
                "¿alguien me recomienda {co}? Estoy por contratar en {city}.",
                "¿dónde puedo contratar en línea? La web no me deja terminar.",
                "¿qué necesito para contratar si soy extranjero?",
                "si contrato hoy, ¿me respetan el precio de la promo?",
            ],
        },
        "billing": {
            "fibra": [
                "me cobraron {amount} de más en la factura de {month}.",
                "me siguen cobrando el módem que devolví hace {days}.",
                "me cobraron instalación cuando la promo decía gratis.",
                "la factura subió a {amount} sin aviso. ¿Dónde quedó el precio congelado?",
                "me cobran el combo con TV y yo solo tengo internet.",
            ],
            "movil": [
                "me cobraron roaming en {trip} y ni salí del país.",
                "aparece un cargo de {amount} por 'servicios premium' que nunca contraté.",
                "pagué la factura y me sigue saliendo con adeudo.",
                "me descontaron dos veces la recarga de {amount}.",
                "me cobraron la línea que cancelé en {month}.",
            ],
            "any": [
                "doble cargo en mi tarjeta este mes, {amount} cada uno.",
                "¿por qué mi factura de {month} vino en {amount} si mi plan cuesta {amount2}?",
                "¿cómo pido el reembolso de un pago duplicado?",
                "no me llega la factura electrónica y ya me cobraron mora.",
                "me reportaron como moroso por una deuda que no es mía.",
                "el débito automático se hizo dos veces y el banco dice que es cosa de ustedes.",
            ],
        },
        "media": {
            "any": [
                "soy periodista de {outlet}, preparo una nota sobre {press_topic}. ¿Alguien de prensa de {B} me puede contactar?",
                "para {outlet}: ¿{co} tiene declaraciones sobre {press_topic}?",
                "estamos haciendo un reportaje sobre {press_topic} y nos gustaría entrevistar a alguien de {co}.",
                "busco vocero de {co} para un segmento en vivo mañana sobre {press_topic}.",
                "¿alguien de {co} me puede dar datos sobre {press_topic}? Publicamos hoy.",
                "hola, escribo desde {outlet}. ¿Tienen un comunicado sobre {press_topic}?",
            ],
        },
        "idea": {
            "fibra": [
                "deberían dejar ver desde la app quién está conectado al WiFi.",
                "¿y si el módem tuviera modo invitado desde la app?",
                "propongo que avisen por SMS cuando hay mantenimiento en {hood}.",
                "sería genial poder pausar la TV un mes cuando me voy de vacaciones.",
                "deberían descontar automáticamente los días sin servicio, sin tener que reclamar.",
            ],
            "movil": [
                "los gigas que no uso deberían pasar al mes siguiente.",
                "deberían dejar pausar el plan cuando viajo.",
                "sería útil ver el consumo de datos por aplicación en Mi Ceibo.",
                "un plan solo de datos para la tablet estaría buenísimo.",
                "¿por qué no regalar gigas en el cumpleaños del cliente?",
            ],
            "any": [
                "agreguen pago con QR en la app.",
                "estaría bueno un chat de soporte que no se reinicie cada vez que cierro la app.",
                "falta modo oscuro en Mi Ceibo.",
                "una comunidad de usuarios para resolver dudas entre nosotros sería ideal.",
                "deberían premiar a los clientes que pagan puntual con algún descuento.",
                "que la factura explique en lenguaje claro cada cargo, por favor.",
            ],
        },
        "competitor": {
            "fibra": [
                "{comp} me ofrece {speed_p} megas por {amount}, ¿me igualan o me cambio?",
                "me pasé a {comp} y ni extraño la fibra de {co}.",
                "en {hood} la fibra de {comp} es más estable que la de {co}, lo siento.",
                "{comp} instala en 24 horas y {co} en una semana. Piénsenlo.",
            ],
            "movil": [
                "{comp} lanzó un ilimitado a {amount}, ¿{co} qué?",
                "volví de {comp} a {co} por la señal, pero extraño sus precios.",
                "¿{co} o {comp} para roaming en {trip}?",
                "mi compañero con {comp} tiene señal en la oficina y yo con {co} no.",
            ],
            "any": [
                "comparando {comp} vs {co} en {city}: {comp} más barato, {co} mejor atención.",
                "{comp} me llamó tres veces esta semana ofreciéndome su plan, ¿qué me ofrece {co} para quedarme?",
                "todos mis amigos se están cambiando a {comp}.",
                "la publicidad de {comp} se burla de {co} y la verdad tienen razón.",
            ],
        },
        "recruiting": {
            "any": [
                "¿{co} está contratando en {city}? Tengo experiencia como {job}.",
                "¿alguien que trabaje en {co}? ¿Qué tal el ambiente?",
                "trabajé {years} años en el call center de {co}: buen sueldo, pero metas imposibles.",
                "mandé mi CV para {job} hace {days} y nadie responde.",
                "¿cómo es el proceso de selección para {job} en {co}?",
                "ex empleado de {co}: los jefes de tienda te tratan fatal, cuidado.",
                "me encantó la entrevista en {co}, muy humanos. Ojalá quede.",
                "¿tienen prácticas profesionales para estudiantes de ingeniería?",
                "en {co} sí hay home office de verdad, lo recomiendo para trabajar.",
                "¿es cierto que {co} va a abrir un centro de atención en {city}?",
            ],
        },
        "legal": {
            "any": [
                "ya puse mi queja ante {reg} por {legal_reason}.",
                "si no me devuelven mi dinero esta semana voy a {reg}.",
                "esto es publicidad engañosa y lo voy a denunciar ante {treg}.",
                "me llaman a mi trabajo para cobrarme una deuda que no es mía. Eso es ilegal y lo voy a reportar a {dreg}.",
                "¿con permiso de quién le dieron mis datos a terceros? Me llegan llamadas de spam desde que contraté.",
                "exijo ejercer {drights} y que borren mis datos de su base.",
                "mi abogado ya tiene todas las capturas. Nos vemos ante {reg}.",
                "me firmaron un contrato con mi firma falsificada. Voy a denunciar.",
                "me suspendieron el servicio sin aviso previo, eso va contra la ley. Queja formal ante {treg}.",
                "un asesor publicó mis datos en un grupo de WhatsApp. Voy a proceder legalmente.",
            ],
        },
        "spam": {
            "any": [
                "gana dinero desde casa [trabajando 2 horas al día|con tu celular|sin experiencia] 💰",
                "sigue a @{spam_handle} y participa por un [iPhone|viaje a Cancún|bono de {amount}] 🎁",
                "recargas con [30|40|50|60]% de descuento para cualquier compañía",
                "invierte en cripto y [duplica|triplica] tu dinero en [7|10|15] días 🚀",
                "sígueme y te sigo 🔁 #followback",
                "¿alguien vio el partido de [ayer|anoche|hoy]? Qué golazo[ del 10| al final|]",
                "el ceibo [del parque|de mi cuadra|frente a la casa|de la plaza de {hood}] ya está en flor, qué belleza 🌺",
                "¡{co} regala {gb} GB [por aniversario|a los primeros 100|por el Día del Padre]! Reclama aquí: {phish_url}",
                "vendo [ropa de marca|tenis importados|perfumes originales|celulares reacondicionados] a precio de remate",
                "aprende inglés en [30|60|90] días con nuestro método, cupos limitados",
                "hoy hace un [calor|frío] terrible en {city} [🥵|🥶|]",
                "buenos días a todos menos a los lunes ☕",
                "la flor del ceibo es la flor nacional [de Argentina|argentina y uruguaya], dato curioso 🌸",
                "préstamos sin buró, aprobación en [5|10|15] minutos",
                "[hermosa|qué linda] la foto del ceibo [en el río|en flor|al atardecer] 📷",
                "se venden seguidores reales, [1000|5000|10.000] por {amount}",
            ],
        },
    },
    "en": {
        "complaint": {
            "fibra": [
                "no internet in {hood} for {hours_en} and zero updates.",
                "paying for {planf} and getting {speed_r} Mbps. {speed_r}!",
                "the technician never showed up on {weekday_en}. Took the day off for nothing.",
                "Wi-Fi drops every [10|15|20] minutes, can't take a single video call.",
                "fiber outage in {city} again. Remote worker here, this is costing me money.",
                "speed drops to nothing every evening around 8pm in {hood}.",
                "three technician visits, two new routers, still no stable connection.",
                "my Zoom calls freeze every ten minutes since {weekday_en}.",
                "install was promised in 48 hours. It's been {days_en}.",
                "reported the issue {days_en} ago, ticket {ticket}, still broken.",
            ],
            "movil": [
                "bought the roaming pack for {trip_en} and it never worked.",
                "no signal at all in {hood}, {city}.",
                "the eSIM has been 'activating' for {days_en}.",
                "calls keep dropping, every single day.",
                "data runs out way too fast on the {planm} plan.",
                "'5G' in {city} means one bar of 3G apparently.",
                "porting my number has taken {days_en} so far and I still have no line.",
                "no SMS codes from my bank since {weekday_en}, can't log in anywhere.",
            ],
            "any": [
                "support hung up on me twice.",
                "waited {hours_en} on chat for a copy-paste answer.",
                "the store in {hood} told me to call, the call center told me to go to the store.",
                "cancelled {days_en} ago and I'm still being charged.",
                "every agent tells me something different. {n} calls so far.",
                "your chatbot keeps sending me in circles.",
            ],
        },
        "praise": {
            "fibra": [
                "fiber install in {city} took one hour, tech was great.",
                "getting {speed_ok} Mbps wired, better than back home.",
                "zero outages in {days_en}. Best internet I've had in LatAm.",
            ],
            "movil": [
                "roaming worked flawlessly in {trip_en}.",
                "eSIM activated in two minutes, smooth.",
                "great coverage even in the mountains outside {city}.",
            ],
            "any": [
                "WhatsApp support answered in English and fixed it in minutes.",
                "the staff at the {hood} store were super patient with my broken Spanish.",
                "honestly the best customer service I've had from a carrier anywhere.",
                "the tech, {tech}, explained everything and even fixed my mesh setup.",
                "they refunded a double charge without me even asking twice.",
            ],
        },
        "question": {
            "fibra": [
                "does your fiber reach {hood}?",
                "is the router included with {planf}?",
                "is there a minimum contract for {planf}?",
            ],
            "movil": [
                "does the {planm} work in {trip_en}?",
                "can I get a SIM with just my passport?",
                "how much is daily roaming in {trip_en}?",
            ],
            "any": [
                "do you have English-speaking support?",
                "what time does the {hood} store open?",
                "can I pay with a foreign credit card?",
                "is the price on the website before or after tax?",
                "do you have student discounts?",
                "how long is the contract for {plan}?",
            ],
        },
        "support": {
            "fibra": [
                "router shows a red LOS light, what do I do?",
                "how do I change the Wi-Fi password?",
                "smart TV won't connect to Wi-Fi but my phone does.",
            ],
            "movil": [
                "how do I set the APN? No mobile data since I switched phones.",
                "not receiving SMS verification codes.",
                "how do I activate the eSIM on my iPhone?",
            ],
            "any": [
                "the Mi Ceibo app crashes on launch.",
                "can't log in to the app, says user not found.",
                "where can I download my invoice as a PDF?",
                "forgot my password and the reset email never arrives.",
                "how do I add an authorized user to my account?",
            ],
        },
        "purchase_intent": {
            "fibra": [
                "moving to {city} for six months, which fiber plan should I get for remote work?",
                "need internet for a small office in {hood}, who can I talk to?",
                "thinking about {planf}, any promo this month?",
            ],
            "movil": [
                "which plan would you recommend for a digital nomad in {city}?",
                "looking to port my number to {co}, how long does it take?",
                "need {lines} business lines for our team in {city}, can someone quote?",
            ],
            "any": [
                "anyone recommend {co} in {city}? About to sign up.",
                "can foreigners sign up online?",
                "what do I need to sign up as a foreigner? Just a passport?",
                "if I sign up today do I still get the promo price?",
                "my company is opening an office in {city}, who handles business accounts?",
            ],
        },
        "billing": {
            "any": [
                "charged {amount} extra on my {month_en} bill.",
                "double charge on my card this month.",
                "charged for roaming I never used.",
                "still billed for the router I returned {days_en} ago.",
                "how do I get a refund for a duplicate payment?",
                "my {month_en} bill was {amount} but my plan is {amount2}. Why?",
                "there's a 'premium services' charge I never signed up for.",
                "paid my bill and the app still says I owe money.",
            ],
        },
        "media": {
            "any": [
                "reporter at {outlet_en} working on a story about {press_topic_en}. Could someone from {B} press reach out?",
                "does {co} have a comment on {press_topic_en}? Filing today.",
                "looking for a {co} spokesperson for a piece on {press_topic_en}.",
                "we're covering {press_topic_en} this week. Is anyone at {co} available for a short interview?",
                "can {co} confirm how many customers were affected by {press_topic_en}?",
            ],
        },
        "idea": {
            "any": [
                "please add an English version of the app.",
                "let unused data roll over to next month.",
                "a pause option for when I leave the country would be great.",
                "show per-app data usage in Mi Ceibo.",
                "add dark mode to the app.",
                "let me pause the TV add-on while I travel.",
                "warn customers by SMS before planned maintenance in {hood}.",
                "a data-only plan for tablets would be nice.",
            ],
        },
        "competitor": {
            "any": [
                "{comp} just offered me {speed_p} Mbps for {amount}, can {co} match?",
                "switched to {comp}, way better coverage in {hood}.",
                "{co} or {comp} for a long stay in {city}?",
                "{comp} installs in 24 hours, {co} took a week. Just saying.",
                "{comp} is cheaper but {co} support actually answers.",
            ],
        },
        "recruiting": {
            "any": [
                "is {co} hiring {job_en}s in {city}? Remote OK?",
                "anyone worked at {co}? How's the culture?",
                "former {co} engineer: great team, slow decisions.",
                "applied for {job_en} {days_en} ago, no reply yet.",
                "interviewed at {co} in {city}, really friendly people.",
                "does {co} sponsor visas for {job_en} roles?",
            ],
        },
        "legal": {
            "any": [
                "filing a complaint with {reg} over {legal_reason_en}.",
                "I want all my personal data deleted. Consider this a formal request.",
                "you shared my number with third parties without consent. Talking to a lawyer.",
                "this is false advertising and I'm reporting it.",
                "you suspended my service without notice. That's not legal and I'm filing a complaint.",
                "someone opened a line in my name with a fake signature. Reporting it.",
            ],
        },
        "spam": {
            "any": [
                "make $[300|500|800] a day from home, DM me 💸",
                "follow @{spam_handle} for free crypto airdrops 🚀",
                "cheap followers, [fast|instant] delivery, message me",
                "{co} giveaway! Claim your free {gb} GB: {phish_url}",
                "good [morning|night] everyone [☀️|🌙]",
                "check out my new [mixtape|podcast|channel] 🔥🔥",
                "the ceibo tree in [the park|{hood}] is blooming, so pretty 🌺",
            ],
        },
    },
}

# Spam is dressed with a hook and a call to action.
SPAM_HOOKS = {"es": ["", "", "🔥 OFERTA 🔥", "Atención:", "¡Increíble!", "Solo hoy:", "Hola amig@s,",
                     "💰💰", "Últimos cupos:", "ATENCIÓN", "Mira esto 👉"],
              "en": ["", "", "🔥 DEAL 🔥", "Today only:", "Hey guys,", "Look 👉"]}
SPAM_CALLS = {"es": ["", "", "Escríbeme por DM.", "Link en bio.", "Info al WhatsApp {fake_phone}.",
                     "No es estafa.", "Cupos limitados.", "Comparte con tus amigos.", "Pregunta sin compromiso.",
                     "Responde 'QUIERO'.", "100% real."],
              "en": ["", "", "DM me.", "Link in bio.", "Not a scam.", "Limited spots."]}

# Extra sentences that make a mention longer and more specific, per language and mood.
DETAILS = {
    "es": {
        "angry": ["Ya reinicié el módem [dos|tres|mil] veces.", "Soy cliente desde {year}.",
                  "Trabajo desde casa y esto me está costando dinero.", "Pago puntual cada mes.",
                  "Mi {ticket_word} es {ticket}.", "Ya hablé con {n} asesores.",
                  "Tengo captura de todo.", "Y la factura sí llega puntual, eh.",
                  "Nadie responde los mensajes privados.", "Tengo {age} años y nunca había visto algo así.",
                  "Mis vecinos de {hood} están igual.", "Ya hice todo lo que dice la web.",
                  "No es la primera vez.", "Exijo que me descuenten los días sin servicio."],
        "happy": ["Cliente desde {year}.", "Lo recomiendo.", "Nada que reclamar.",
                  "Así se trabaja.", "Le pasé el dato a mi familia.",
                  "Hasta me explicaron cómo mejorar el WiFi."],
        "ask": ["Vivo en {hood}, {city}.", "Tengo el {plan}.", "Es urgente.",
                "Ya busqué en la web y no encontré nada.", "Soy cliente desde {year}.",
                "Les escribí por privado también.", "Es para mi mamá."],
        "friendly": ["Lo digo como cliente de hace años.", "Lo usaría todos los días.",
                     "Otras compañías ya lo tienen."],
        "formal": ["Cierro la nota a {close_hour}.", "Pueden escribirme al correo de la redacción.",
                   "También contactamos a {comp}.", "Puede ser por teléfono o videollamada.",
                   "La nota sale en la edición de mañana."],
        "job": ["Tengo {years} años de experiencia.", "Vivo en {city}.", "Estudio ingeniería.",
                "Tengo disponibilidad inmediata.", "Ya mandé mi CV por la web.",
                "Me interesa el turno de la tarde.", "Busco algo con home office.",
                "Lo digo por experiencia propia.", "Duré {months} meses."],
        "none": [""],
    },
    "en": {
        "angry": ["Customer since {year}.", "Already restarted the router.",
                  "Ticket {ticket}.", "Working remotely, this costs me money.",
                  "My neighbors in {hood} have the same problem.", "Not the first time.",
                  "Screenshots saved.", "I pay on time every month.",
                  "Talked to {n} different agents."],
        "happy": ["Customer since {year}.", "Recommended to my friends already."],
        "ask": ["I live in {hood}, {city}.", "It's urgent.", "I'm on the {plan}.",
                "Already checked the website.", "My Spanish isn't great, sorry.",
                "Messaged you privately too."],
        "friendly": ["Other carriers already do this."],
        "formal": ["Deadline is 6 pm local time.", "Also reached out to {comp}."],
        "job": ["I have {years} years of experience.", "Based in {city}.", "Open to relocating."],
        "none": [""],
    },
}

PRESS_TOPICS_ES = ["la caída del servicio en {city}", "el despliegue de 5G en {city}",
                   "las quejas por cobros indebidos", "la subida de tarifas",
                   "la llegada de la fibra a {city}", "la brecha digital en zonas rurales",
                   "la atención al cliente en redes sociales", "la ciberseguridad de los datos de clientes",
                   "las nuevas vacantes en {city}", "la guerra de precios con {comp}"]
PRESS_TOPICS_EN = ["the outage in {city}", "5G rollout in {city}", "fiber expansion in LatAm",
                   "billing complaints", "pricing competition with {comp}"]
LEGAL_REASONS_ES = ["cobros indebidos", "no respetar la promoción contratada",
                    "suspender el servicio sin aviso", "negarse a cancelar mi contrato",
                    "publicidad engañosa", "mal uso de mis datos personales"]
LEGAL_REASONS_EN = ["unauthorized charges", "false advertising", "refusing to cancel my contract"]

# --- thread replies (someone answering an earlier mention on the same account) -------

REPLIES = {
    "es": {
        "complaint": ["A mí también me pasa en {hood}.", "+1, igual en {city}.",
                      "Mismo problema desde el {weekday}.", "Lo mismo acá, ya van {days}.",
                      "¿Ya te respondieron? A mí no.", "Súmenme, {hood} sin servicio.",
                      "Confirmo, caído en {hood}.", "Y encima te cobran completo.",
                      "Te entiendo, yo terminé cambiándome a {comp}.", "Igual aquí 😤",
                      "Llevo lo mismo, {hours}.", "Uff, pensé que era solo yo."],
        "praise": ["Coincido, a mí también me atendieron rápido.", "Qué bueno! A mí me tocó {tech} también.",
                   "Confirmo, en {hood} va perfecto.", "👏👏", "Totalmente de acuerdo."],
        "question": ["Yo tengo la misma duda.", "A mí me dijeron que sí, pero confirma con ellos.",
                     "Creo que en la web sale, busca en 'Ayuda'.", "Pregunta en la tienda de {hood}, ahí saben.",
                     "También quiero saber."],
        "support": ["Prueba reiniciando el módem 30 segundos desenchufado.", "A mí me pasó y era el APN.",
                    "Me funcionó borrar la caché de la app.", "Igual, ¿alguien tiene solución?",
                    "Llama y pide que te manden técnico, por chat no lo arreglan."],
        "purchase_intent": ["Yo tengo el {plan} y me va bien.", "Te recomiendo la fibra, en {hood} va bien.",
                            "Mejor espera a la promo de fin de mes.", "Yo me cambié hace poco y sin problema.",
                            "Ni lo pienses, {comp} es peor."],
        "billing": ["A mí también me cobraron de más este mes.", "Pide el reembolso por escrito, así sí te lo dan.",
                    "Revisa bien, a mí me pusieron un cargo raro igual.", "Esto ya es costumbre con ellos."],
        "competitor": ["Yo me fui a {comp} y me arrepentí.", "{comp} tampoco es maravilla, ojo.",
                       "En mi zona {comp} ni llega."],
        "recruiting": ["Yo trabajé ahí, el ambiente depende mucho del jefe.", "Están contratando, vi la vacante ayer.",
                       "Manda tu CV por la web de empleos, así entré yo."],
        "legal": ["Haz la queja, a mí me funcionó.", "Guarda todas las capturas.", "Súmame a la denuncia."],
        "idea": ["¡Sí, por favor!", "+1 a esto.", "Eso me encantaría.", "Apoyo la idea."],
        "media": ["Buen tema para una nota.", "Les paso mi caso si sirve."],
        "spam": ["Esto es spam, denuncien.", "Bot.", "¿Y esto qué tiene que ver?"],
    },
    "en": {
        "complaint": ["Same here in {hood}.", "+1, down in {city} too.", "Been like this for {days_en}.",
                      "Did they ever reply to you?"],
        "praise": ["Agreed, great service.", "Same experience here 👍"],
        "question": ["Same question.", "I think the website has it under Help."],
        "support": ["Try unplugging the router for 30 seconds.", "Was the APN for me."],
        "purchase_intent": ["I'm on the {plan}, works fine.", "Wait for the end-of-month promo."],
        "billing": ["Happened to me too.", "Ask for the refund in writing."],
        "competitor": ["{comp} isn't better, trust me."],
        "recruiting": ["They're hiring, saw the posting yesterday."],
        "legal": ["Keep screenshots of everything."],
        "idea": ["+1", "Yes please!"],
        "media": ["Happy to share my story."],
        "spam": ["Spam.", "Bot account."],
    },
}

REPLY_TAILS = {
    "es": {"angry": ["", "", "", "{hood} también.", "+1", "Igual.", "😤", "👀", "Ojalá lo arreglen.",
                     "Ya van {days}.", "@{friend}", "Qué mal.", "Lo mismo me dijeron a mí.",
                     "Saludos desde {city}, igual."],
           "other": ["", "", "", "", "🙏", "👀", "Saludos desde {city}.", "@{friend}", "👍", "+1"]},
    "en": {"angry": ["", "", "Same.", "+1", "👀", "Same in {city}."],
           "other": ["", "", "👍", "+1", "From {city}."]},
}

# Follow-up messages in a private chat (WhatsApp, Telegram, DMs).
DM_PREFIXES = {"es": ["", "", "", "Hola!", "Disculpe.", "Perdón que insista.", "Buenas.", "Oiga.",
                      "Hola de nuevo."],
               "en": ["", "", "Hi again.", "Sorry to bother."]}
DM_FOLLOWUPS = {
    "es": ["¿Hola? ¿Siguen ahí?", "Les mando mi número de contrato: {contract}",
           "Ya reinicié el módem y sigue igual.", "Ok, gracias.", "Sigo esperando respuesta.",
           "Mi nombre completo es {full_name}.", "¿Me pueden llamar al mismo número?",
           "Les adjunto la foto de la factura.", "Perfecto, quedo atenta.", "Perfecto, quedo atento.",
           "Ya funcionó, gracias!", "No, no se ha solucionado.", "¿Cuánto tiempo más?",
           "Es la dirección de siempre: {hood}, {city}."],
    "en": ["Hello? Anyone there?", "My account number is {contract}.", "Restarted it, still nothing.",
           "Ok thanks.", "Still waiting.", "It works now, thanks!"],
}

# --- channel-specific shapes ---------------------------------------------------------

REVIEW = {
    "es": {
        "praise": ["La app funciona bien, pago mi factura en dos clics.", "Muy práctica para recargar.",
                   "Me encanta ver mi consumo en tiempo real.", "Cumple, rápida y sin anuncios.",
                   "La mejor app de una compañía de teléfonos que he usado.",
                   "Desde la última versión ya no se traba. Bien ahí."],
        "complaint": ["No puedo iniciar sesión desde la última actualización.", "Se cierra sola al abrir.",
                      "Siempre dice 'error inesperado' al pagar.", "Pide actualizar y luego no abre.",
                      "Consume muchísima batería.", "Cada vez que entro me vuelve a pedir el código SMS.",
                      "Lentísima, tarda un minuto en cargar el saldo.", "No muestra mis facturas anteriores."],
        "support": ["¿Cómo cambio el correo de mi cuenta? No encuentro la opción.",
                    "No me deja agregar mi segunda línea, ¿cómo se hace?",
                    "¿Dónde se configura el pago automático?"],
        "billing": ["La app muestra un saldo distinto al de la factura.", "Me cobró dos veces la recarga.",
                    "El pago queda 'en proceso' por días."],
        "idea": ["Falta modo oscuro.", "Deberían agregar pago con QR.",
                 "Estaría bueno un widget con los datos que me quedan.",
                 "Que deje descargar todas las facturas juntas."],
        "spam": ["Descarguen mi app de juegos, gana dinero real 💰", "Buena app 5 estrellas sígueme"],
    },
    "en": {
        "praise": ["Works well, paying bills is easy.", "Clean app, does what it should.",
                   "Fast and simple, love the usage tracker."],
        "complaint": ["Can't log in since the last update.", "Crashes on launch.", "Drains my battery.",
                      "Asks for an SMS code every single time.", "Super slow to load the balance."],
        "support": ["How do I change my account email?", "How do I set up autopay?",
                    "Where do I add a second line?"],
        "billing": ["App balance doesn't match my bill.", "Charged twice for a top-up.",
                    "Payment stuck 'processing' for days."],
        "idea": ["Needs an English version.", "Add dark mode please.", "Needs a data widget."],
        "spam": ["Download my game app, win real money"],
    },
}
REVIEW_OPENERS = {
    "es": {"praise": ["", "", "Buena app.", "Muy buena.", "5 estrellas.", "Excelente app."],
           "complaint": ["", "", "Mala.", "Pésima app.", "Una estrella porque no se puede poner cero.",
                         "Antes era buena.", "Horrible."],
           "support": ["", "", "Buena app, pero tengo una duda:", "Pregunta:"],
           "billing": ["", "", "Ojo.", "Cuidado con los pagos."],
           "idea": ["", "", "Está bien, pero le falta algo:", "Cuatro estrellas, una sugerencia:"],
           "spam": [""]},
    "en": {"praise": ["", "Great app."], "complaint": ["", "Bad."], "support": [""],
           "billing": [""], "idea": ["", "Good, but one thing:"], "spam": [""]},
}
REVIEW_TAILS = {
    "es": ["", "", "", "Android [12|13|14|15].", "Versión 5.[0|1|2|3].[0|1|2|4|7].", "En {device}.",
           "Antes funcionaba bien.", "Arreglen eso.", "Por eso las estrellas.", "Urge una actualización.",
           "Desde {weekday} está así.", "Ya la desinstalé y reinstalé.", "Fuera de eso, bien.",
           "Cliente desde {year}."],
    "en": ["", "", "Android [13|14].", "Version 5.[1|2].[0|3].", "Please fix.", "Otherwise fine."],
}
REVIEW_TITLES = {
    "es": {"praise": ["Excelente", "Muy útil", "Cumple", "Me gusta", "Funciona bien", "Por fin"],
           "complaint": ["No abre", "Pésima", "Mala actualización", "Se traba", "Un desastre", "Inservible"],
           "support": ["Ayuda", "Duda", "¿Cómo se hace?"],
           "billing": ["Cobro doble", "Saldo incorrecto", "Ojo con los pagos"],
           "idea": ["Sugerencia", "Casi perfecta", "Le falta poco"],
           "spam": ["Gana dinero", "5 estrellas"]},
    "en": {"praise": ["Great", "Useful"], "complaint": ["Broken", "Crashes"],
           "support": ["Help"], "billing": ["Wrong balance"], "idea": ["Suggestion"],
           "spam": ["Free money"]},
}
RATING = {"praise": (4, 5), "complaint": (1, 2), "support": (2, 4), "billing": (1, 3),
          "idea": (3, 4), "spam": (1, 5)}

EMAIL_SUBJECTS = {
    "es": {
        "complaint": ["Reclamo por falla del servicio", "Queja formal - {ticket_word} {ticket}",
                      "Sin servicio desde hace {days}", "Pésima atención en tienda de {hood}"],
        "billing": ["Cobro indebido en factura de {month}", "Aclaración de cargo", "Solicitud de reembolso",
                    "Cargo duplicado"],
        "media": ["Solicitud de entrevista - {outlet}", "Consulta de prensa: {press_topic}",
                  "Pedido de declaraciones - {outlet}"],
        "recruiting": ["Postulación: {job}", "CV - {job} en {city}", "Consulta sobre prácticas profesionales"],
        "legal": ["Aviso de queja ante {reg}", "Ejercicio de {drights}", "Solicitud de supresión de datos personales",
                  "Requerimiento formal"],
        "purchase_intent": ["Cotización {lines} líneas empresariales", "Información para contratar fibra en {hood}",
                            "Interés en contratar {plan}"],
        "question": ["Consulta sobre mi plan", "Pregunta sobre cobertura", "Duda sobre el contrato"],
        "support": ["Ayuda con la configuración del módem", "Problema con la app", "No tengo datos"],
        "idea": ["Sugerencia para la app", "Una propuesta de cliente"],
        "praise": ["Gracias a {tech}, del equipo técnico", "Felicitaciones por la atención"],
        "competitor": ["Oferta de {comp}: ¿pueden mejorarla?"],
        "spam": ["URGENTE: su cuenta será suspendida", "Propuesta SEO para su sitio web",
                 "Oportunidad de inversión única", "Factura pendiente #{ticket}"],
    },
    "en": {
        "complaint": ["Service outage complaint", "Formal complaint - ticket {ticket}"],
        "billing": ["Incorrect charge on my {month_en} bill", "Refund request"],
        "media": ["Interview request - {outlet_en}", "Press inquiry: {press_topic_en}"],
        "recruiting": ["Application: {job_en}", "Open roles in {city}?"],
        "legal": ["Data deletion request", "Formal notice"],
        "purchase_intent": ["Quote for {lines} business lines", "Signing up for fiber"],
        "question": ["Question about my plan"], "support": ["Help with my router"],
        "idea": ["Suggestion"], "praise": ["Thank you"], "competitor": ["Competing offer"],
        "spam": ["Your account will be suspended", "SEO services for your website"],
    },
}
EMAIL_GREETINGS = {"es": ["Buenas tardes:", "Estimados:", "Hola,", "Buenos días,", "A quien corresponda:",
                          "Estimado equipo de {co}:"],
                   "en": ["Hello,", "Hi there,", "Dear {co} team,", "To whom it may concern,"]}
EMAIL_SIGNOFFS = {"es": ["Saludos,", "Atentamente,", "Quedo atento,", "Quedo atenta,", "Gracias,",
                         "Cordialmente,"],
                  "en": ["Best,", "Regards,", "Thanks,", "Sincerely,"]}

REDDIT_TITLES = {
    "es": {
        "complaint": ["¿Alguien más sin internet de {co} en {city}?", "{co} Fibra: mi experiencia después de {months} meses",
                      "PSA: revisen la velocidad real de {co}", "Harto de {co}, ¿qué hago?",
                      "Caída de {co} en {hood}"],
        "question": ["Duda con {co}", "¿{co} llega a {hood}?", "Pregunta sobre roaming con {co}"],
        "support": ["Ayuda: módem de {co} con luz roja", "No tengo datos con {co}, ¿APN?"],
        "purchase_intent": ["¿{co} vale la pena en {city}?", "Recomiendan fibra en {hood}?",
                            "{co} o {comp} para teletrabajo"],
        "billing": ["Cobro raro en mi factura de {co}", "PSA: revisen su factura de {co}"],
        "competitor": ["{co} vs {comp}, ¿cuál recomiendan en {city}?", "Me cambié de {co} a {comp}, AMA"],
        "recruiting": ["¿Qué tal es trabajar en {co}?", "Entrevista en {co} para {job}, ¿tips?"],
        "legal": ["¿Cómo pongo queja en {reg} contra {co}?", "{co} le pasó mis datos a terceros"],
        "praise": ["Buena experiencia con {co} (sí, existen)", "{co} Fibra 1 Giga: la prueba"],
        "idea": ["Lo que le falta a la app de {co}"], "media": ["Periodista buscando testimonios sobre {co}"],
        "spam": ["Gana dinero fácil", "Recargas baratas"],
    },
    "en": {
        "complaint": ["Anyone else with {co} issues in {city}?", "{co} fiber keeps dropping"],
        "question": ["Phone plan for expats in {city}?", "{co} roaming question"],
        "support": ["{co} APN settings?"], "purchase_intent": ["Best ISP in {city} for remote work?"],
        "billing": ["Weird charge from {co}"], "competitor": ["{co} vs {comp} for expats"],
        "recruiting": ["Working at {co} as a foreigner?"], "legal": ["Reporting {co} to {reg}?"],
        "praise": ["{co} fiber is actually great"], "idea": ["Wish {co} had an English app"],
        "media": ["Journalist looking for expat stories"], "spam": ["Free crypto"],
    },
}

RSS_SITES = [
    ("Diario Horizonte", "diariohorizonte.example", "es"),
    ("Pulso Tecnológico", "pulsotecnologico.example", "es"),
    ("El Eco Digital", "ecodigital.example", "es"),
    ("Cono Sur Tech", "conosurtech.example", "es"),
    ("Blog de Fibra y Redes", "fibrayredes.example", "es"),
    ("OpinaTrabajo (reseñas de empleados)", "opinatrabajo.example", "es"),
    ("LatAm Telecom Weekly", "latamtelecomweekly.example", "en"),
]
ARTICLES = {
    "es": {
        "media": [("{co} Telecom amplía su red de fibra a {n} barrios de {city}",
                   "La compañía anunció que conectará hogares en {hood} y alrededores antes de fin de año."),
                  ("{co} lanza el {planm} con más datos por el mismo precio",
                   "El nuevo plan llega a {country_name} en {month} y apunta a usuarios jóvenes."),
                  ("Entrevista: la directora de experiencia de {co} habla de atención en redes",
                   "“Queremos que cualquier empleado pueda escuchar al cliente”, dijo en {city}."),
                  ("{co} Telecom reporta crecimiento de clientes de fibra en {country_name}",
                   "La operadora sumó miles de hogares y prevé nuevas inversiones en {city}."),
                  ("{co} prueba 5G en {city} con velocidades de {speed_ok} megas",
                   "Las pruebas se realizan en {hood} durante {month}.")],
        "complaint": [("Usuarios reportan caída del servicio de {co} Fibra en {city}",
                       "Desde la mañana, clientes de {hood} y otros barrios denuncian cortes. La empresa no ha dado detalles."),
                      ("Mi experiencia (mala) con {co} Fibra",
                       "Tres técnicos, dos módems y {days} sin internet estable. Les cuento todo.")],
        "praise": [("Reseña: probamos la fibra de 1 Giga de {co} durante un mes",
                    "Velocidad real de {speed_ok} megas y latencia baja. Lo bueno y lo mejorable."),
                   ("Las apps de operadoras, comparadas: Mi Ceibo sale bien parada",
                    "Pagos rápidos y consumo claro; falta modo oscuro.")],
        "competitor": [("{comp} y {co} en guerra de precios por la fibra en {city}",
                        "{comp} ofrece {speed_p} megas por {amount}; {co} responde con instalación gratis."),
                       ("{comp} lanza plan ilimitado a {amount}",
                        "El movimiento presiona a {co} y al resto del mercado en {country_name}.")],
        "legal": [("{reg} recibe cientos de quejas contra operadoras; {co} entre las mencionadas",
                   "Los reclamos más frecuentes son por {legal_reason}."),
                  ("Abren procedimiento a {co} por la calidad del servicio en {city}",
                   "{treg} revisará los reportes de cortes en {hood}.")],
        "recruiting": [("{co} abrirá {n}00 vacantes en su nuevo centro de atención de {city}",
                        "Buscan perfiles de {job} y ofrecen modalidad híbrida."),
                       ("“Buen ambiente pero metas imposibles” — {job} en {city}",
                        "Calificación 3/5. Pros: compañeros, capacitación. Contras: turnos rotativos, presión por ventas."),
                       ("“La mejor empresa en la que he trabajado” — {job} en {city}",
                        "Calificación 5/5. Buen sueldo, home office real y jefes que escuchan.")],
    },
    "en": {
        "media": [("{co} Telecom expands fiber network in {city}",
                   "The carrier plans to connect homes in {hood} by year end."),
                  ("Inside {co}'s bet on social customer care",
                   "The LatAm carrier routes social messages to every department.")],
        "competitor": [("{comp} undercuts {co} with {amount} unlimited plan",
                        "Pricing pressure grows in {country_name}.")],
        "legal": [("Regulator reviews {co} service quality complaints",
                   "Reports from {city} prompted the review.")],
        "complaint": [("{co} outage hits {city}", "Customers in {hood} reported hours without service.")],
    },
}

ARTICLE_EXTRAS = {
    "es": ["", "", "La empresa no respondió a la consulta de este medio.",
           "En redes, los usuarios usan la etiqueta #{co}Fibra para compartir su experiencia.",
           "El anuncio se hizo el {weekday} en {city}.", "Según la compañía, la inversión continuará en {month}.",
           "Analistas del sector esperan más movimientos de {comp}.",
           "Los clientes pueden consultar en la app Mi Ceibo.", "Actualizaremos esta nota.",
           "{co} atribuyó el problema a un corte de fibra en {hood}."],
    "en": ["", "", "The company did not respond to a request for comment.",
           "Analysts expect {comp} to respond.", "We will update this story."],
}

COMMUNITY_TITLES = {
    "es": {"question": ["Duda sobre {plan}", "¿Llega la fibra a {hood}?", "Pregunta sobre roaming"],
           "support": ["Módem con luz roja", "No tengo datos después de cambiar de celular",
                       "La app no abre", "WiFi lento en la noche"],
           "idea": ["Idea: gigas acumulables", "Propuesta: modo invitado en el módem",
                    "Sugerencia para Mi Ceibo", "Pausar el plan en vacaciones"],
           "praise": ["Gracias al equipo técnico", "Por fin estable"],
           "complaint": ["Otra vez sin servicio", "Velocidad muy por debajo de lo contratado"],
           "billing": ["Cobro duplicado", "Factura con cargos raros"],
           "purchase_intent": ["¿Qué plan me conviene?", "Quiero contratar fibra"]},
    "en": {"question": ["Question about roaming"], "support": ["Router help"],
           "idea": ["Feature request"], "praise": ["Thanks!"], "complaint": ["Outage again"],
           "billing": ["Double charge"], "purchase_intent": ["Which plan?"]},
}

HASHTAGS = {
    "es": {"angry": ["#SinInternet", "#PésimoServicio", "#{co}Fibra", "#Caída", "#Reclamo",
                     "#{co}NoFunciona", "#AtenciónAlCliente"],
           "happy": ["#{co}", "#Fibra", "#BuenServicio", "#Gracias"],
           "ask": ["#Ayuda", "#{co}"], "friendly": ["#Idea", "#{co}"],
           "formal": ["#Prensa", "#Telecom"], "job": ["#Empleo", "#Trabajo", "#{co}"],
           "none": ["#follow", "#promo", "#gratis"]},
    "en": {"angry": ["#outage", "#fail", "#customerservice"], "happy": ["#fiber", "#nomadlife"],
           "ask": ["#help"], "friendly": ["#idea"], "formal": ["#telecom"], "job": ["#hiring", "#jobs"],
           "none": ["#free"]},
}
EMOJI = {
    "angry": ["😡", "🤬", "😤", "👎", "🙄", "💀", "😩", "🤡", "😒"],
    "happy": ["🙌", "❤️", "😍", "👏", "🔥", "✨", "💚", "🥳", "👌"],
    "ask": ["🤔", "🙏", "😅", "👀"],
    "friendly": ["💡", "🙏", "😊"],
    "formal": [""],
    "job": ["🙏", "💼", "🤞", "👀"],
    "none": ["💰", "🎁", "🚀", "😎", "🔥"],
}
RSS_SECTIONS = ["noticias", "tecnologia", "economia", "blog"]

# --- hostile inputs: index → (channel, category, fields) --------------------------
# Placed at fixed indexes so even a small demo holds a few. They must show as text.

LONG_RANT = (
    "Les escribo por enésima vez porque nadie me responde. "
    "El servicio de fibra en mi casa se corta todos los días a la misma hora, "
    "el técnico vino tres veces y cada vez dijo algo distinto. "
)
HOSTILE = {
    17: (
        "x",
        "complaint",
        {
            "text": "<script>alert('ceibo')</script> La fibra sigue caída en Chapinero, ¿alguien más?"
        },
    ),
    53: (
        "facebook",
        "spam",
        {
            "text": "Revisen su saldo aquí 👉 javascript:alert(document.cookie) (es la página oficial, lo juro)",
            "urls": ["javascript:alert(1)", "https://ceibo-premios.example-login.top/"],
        },
    ),
    97: (
        "instagram",
        "praise",
        {
            "author_display_name": '<img src=x onerror="alert(1)"> Lupita',
            "text": "Me encantó el evento de lanzamiento, gracias @ceibo.oficial 💚",
        },
    ),
    151: (
        "whatsapp",
        "question",
        {
            "lang": "ar",
            "text": "مرحبا، هل يعمل التجوال الخاص بشركة سيبو في المكسيك؟ سأسافر الأسبوع القادم.",
        },
    ),
    199: (
        "telegram",
        "support",
        {
            "lang": "he",
            "text": "שלום, האינטרנט בבית לא עובד מאז אתמול. אפשר לשלוח טכנאי? Ceibo Fibra",
        },
    ),
    263: (
        "x",
        "billing",
        {
            "text": "C\u200be\u200bi\u200bb\u200bo me co\u200bbró dos veces \u202eaicnetsixe\u202c la factura \ufeff de octubre"
        },
    ),
    331: (
        "api",
        "spam",
        {
            "title": "{{ request.user.password }} {% debug %}",
            "text": "'; DROP TABLE listening_mention; -- ¿funciona el portal de pagos? ${7*7} %s %n",
        },
    ),
    419: ("email", "complaint", {"title": "Reclamo formal (muy largo)", "text": LONG_RANT * 160}),
    509: (
        "reddit",
        "complaint",
        {
            "text": "Z̷̢͝a̸l̵g̶o̴ ceibo ‏שירות גרוע‏ 🙃 👩‍👩‍👧‍👦 la señal es un meme mezclando izquierda‏ y derecha"
        },
    ),
    613: (
        "rss",
        "media",
        {
            "text": "",
            "text_html": "<p>Ceibo anuncia cobertura 5G</p><script>alert(1)</script>"
            '<a href="javascript:alert(2)">leer más</a><img src=x onerror=alert(3)>',
            "url": "javascript:alert(4)",
        },
    ),
    727: (
        "mastodon",
        "question",
        {
            "text": "¿Es esto un enlace? [factura](javascript:alert('x')) <iframe src=//evil.example></iframe>"
        },
    ),
    853: (
        "google_play",
        "complaint",
        {"text": "Controles \u0007\u001b[31mrojo\u001b[0m: la app no abre desde la actualización"},
    ),
}

# --- the catalogue: what the `entities` stage recognises by name --------------------------
# kind → [(name, aliases, brand key or None)]. The competitors are the invented ones above.

CATALOGUE = {
    "product": [
        ("Plan Libre", ["Libre 15 GB plan", "Libre 30 GB plan"], "movil"),
        ("Plan Ilimitado", ["Unlimited plan", "Ilimitado Plus", "Unlimited Plus"], "movil"),
        ("Plan Familia", ["family plan"], "movil"),
        ("Plan Joven", [], "movil"),
        ("Plan Viajero", ["Viajero roaming plan"], "movil"),
        ("Plan Empresas", [], "movil"),
        ("Prepago Recarga Fácil", ["Recarga Fácil", "prepaid Recarga Fácil"], "movil"),
        ("Fibra 1 Giga", ["1 Gig fiber", "fibra de 1 Giga"], "fibra"),
        ("Fibra Gamer 700", ["Gamer 700 plan", "Fibra Gamer"], "fibra"),
        ("Fibra Hogar 200", ["Fibra Hogar"], "fibra"),
        ("Combo Fibra + TV", ["fiber + TV bundle", "Combo Triple"], "fibra"),
        ("Módem Ceibo", ["módem", "router"], "fibra"),
        ("Decodificador Ceibo TV", ["decodificador", "deco"], "fibra"),
        ("Mi Ceibo", ["app Mi Ceibo", "Mi Ceibo app"], "movil"),
    ],
    "competitor": [
        ("Norte Móvil", ["NorteMovil", "Norte Mobile"], None),
        ("Pampa Cel", ["PampaCel"], None),
        ("Vértice Telecom", ["Vértice", "VerticeTel"], None),
        ("Ola Fibra", ["OlaFibra"], None),
        ("Zenda", ["Zenda Telecom", "ZendaMX"], None),
        ("Red Austral", ["RedAustral"], None),
    ],
    "person": [
        ("Mariana Ledesma", ["Mariana Ledesma Quiroga"], None),  # chief executive
        ("Joaquín Ferrer", ["Joaquin Ferrer"], None),  # head of communications
        ("Inés Caballero", ["Ines Caballero"], None),  # customer experience director
    ],
}
SPOKESPEOPLE = {  # who speaks for Ceibo in the news, with the role
    "es": ["Mariana Ledesma, directora general de {co}",
           "Joaquín Ferrer, director de comunicación de {co}",
           "Inés Caballero, directora de experiencia de {co}"],
    "en": ["Mariana Ledesma, {co}'s chief executive",
           "Joaquín Ferrer, head of communications at {co}",
           "Inés Caballero, {co}'s customer experience director"],
}
SPOKESPEOPLE_QUOTES = {
    "es": ["“Estamos trabajando para resolverlo cuanto antes”, dijo {spokes}.",
           "{spokes}, aseguró que la inversión seguirá en {city}.",
           "Según {spokes}, el servicio quedará normalizado esta semana."],
    "en": ["“We are working to fix it as fast as we can,” said {spokes}.",
           "{spokes}, said investment in {city} will continue."],
}
# Authors' bios (the `author_description` field). Journalists and influencers are verified.
JOURNALIST_BIOS = {
    "es": ["Periodista de tecnología en {outlet}. Opiniones propias.",
           "Reportera de telecomunicaciones y consumo · {outlet}",
           "Editor de {outlet}. Escribo sobre conectividad en América Latina."],
    "en": ["Tech reporter at {outlet}. Views my own.",
           "Telecom journalist, {outlet}. DMs open for tips."],
}
INFLUENCER_BIOS = {
    "es": "Reseñas de celulares, planes y gadgets 📱 Colaboraciones por DM",
    "en": "Travel + tech. Honest reviews of phones and plans.",
}
PERSON_BIOS = {
    "es": ["Mamá, ingeniera y fan del café ☕", "Hincha de fútbol. Vivo en {city}.",
           "Estudiante de diseño", "Contador. Opiniones personales.", "Amante de los perros 🐾"],
    "en": ["Dad, runner, coffee addict", "Designer based in {city}", "Remote worker, always online"],
}

# --- fast-growing complaint threads: a root and many replies within the last hour --------
# key → (account slug, country, root templates, reply templates)
BURSTS = {
    "caida-fibra": (
        "ceibo-x-fibra", "CO",
        ["{B}, se cayó la fibra en todo {city} y ya van {hours}. Si no lo arreglan hoy pongo la denuncia ante {reg}. #CeiboCaido"],
        ["Igual en {hood}, sin servicio desde hace {hours}.", "Súmenme a la denuncia ante {reg}.",
         "Esto ya se está haciendo viral y {co} sin responder.", "Confirmo, caído en {hood} 😤",
         "Yo también voy a poner la queja en {reg}.", "Tengo el {planf} y nada, ni una luz en {device}.",
         "Trabajo desde casa y perdí el día entero. Que alguien de {co} responda.",
         "Si hay que hacer una demanda colectiva me sumo.", "+1 en {hood}, llamé y nadie contesta.",
         "Llevamos {hours} así. Pésimo.", "En {hood} igual, y el {planf} lo cobran completo.",
         "Lo están comentando hasta en las noticias.", "¿Alguien sabe algo? {hood} sin internet.",
         "Voy a hablar con un abogado, esto no puede ser."],
    ),
    "cobro-doble": (
        "ceibo-facebook-movil", "MX",
        ["{B}, me cobraron dos veces el {planm} y nadie me responde. Esto es una estafa, ya hablé con un abogado."],
        ["A mí también me cobraron doble este mes.", "Lo mismo, dos cargos de {amount}. Estafa.",
         "Ya puse mi queja en {reg}, háganlo todos.", "Igual aquí en {city}, cargo doble.",
         "Esto es fraude, voy a denunciar.", "¿Y el reembolso? Nada todavía.",
         "Me pasó con el {planm}, ya van {days} sin respuesta.", "Compartan para que se haga viral.",
         "Súmenme, ya tengo las capturas.", "Qué vergüenza {co}, devuelvan el dinero.",
         "Mi abogado dice que es demanda segura.", "Confirmo, me cobraron {amount} dos veces."],
    ),
}
# fmt: on
