"""How the general-domain sentiment examples in `data/sentiment_gen_*.jsonl` are made
(data/README.md, "General-domain sentiment").

`python -m panal.understanding.sentiment_data` rewrites the four files. Each label has, per
language, templates written by the Panal developers about everyday topics (sport, politics,
TV and film, music, celebrities, tech, weather, food, travel, work, daily life, news and
disasters), with slots filled from hand-written lists (teams, shows, products, cities,
people, events…). A filled line is then dressed the way posts look: a handle or "RT @x:"
in front, a hashtag, a link, emoji or an emoticon, laughter, letters stretched, lower case
or shouting, Spanish without accents. A template's lines all go to the same file: the
templates whose number is 2 or 7 modulo 10 feed the dev file, so a dev text never shares
its wording with a training text, only the slot vocabulary. Texts are deduplicated after
folding case, accents and punctuation, across both languages.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from panal.core.text import fold

from .corpus import write_splits

DATA = Path(__file__).resolve().parent / "data"
LABELS = ("negative", "neutral", "positive")
DEV_PER_TEMPLATE = 4
TRAIN_PER_TEMPLATE = 14
SEED = 2027

S = {
    "es": {
        "team": """el Madrid|el Barça|Boca|River|el América|las Chivas|Nacional|la U|Colo-Colo|
            la selección|el Atleti|Millonarios|Peñarol|el Betis|los Pumas|Alianza Lima|
            el Sevilla|Cruz Azul|Racing|Independiente|el Cali|Tigres|Universitario|
            la Real Sociedad|San Lorenzo|el Valencia|Monterrey|Junior|Cerro Porteño""",
        "player": """el Chino Herrera|el portero|el 10|el delantero nuevo|el capitán|
            Ramírez|el Toro Medina|el lateral|el técnico|el árbitro|Lucho Paredes|
            el goleador|la capitana|el entrenador|el arquero""",
        "show": """la serie nueva|el final de temporada|MasterChef|el reality|
            la novela de las 9|el programa de anoche|la gala|el debate de anoche|
            el estreno de la segunda temporada|el capítulo de hoy|el noticiero|
            la entrevista de anoche|el especial de Navidad|el late night""",
        "film": """la peli nueva de superhéroes|la secuela|el documental|la película animada|
            la peli de terror que estrenaron|la remake|la película del director mexicano|
            la adaptación del libro|la peli que ganó el Oscar|la comedia nueva""",
        "artist": """Luna Vega|Los Zorros del Sur|la banda|el grupo|DJ Tormenta|
            el cantante|la cantante|Marisol Ortega|el rapero de moda|la orquesta|
            Kiko Ríos|La Sonora Austral|el trapero|la banda de rock""",
        "pol": """el presidente|la alcaldesa|el gobernador|el ministro de economía|
            la diputada|el senador|el gobierno|la oposición|el congreso|el alcalde|
            la presidenta|el ministro de salud|el partido|la ministra de educación|
            el concejal""",
        "policy": """la reforma tributaria|el aumento del salario mínimo|la nueva ley de
            vivienda|el presupuesto|el plan de seguridad|la reforma de pensiones|
            el nuevo impuesto|el acuerdo comercial|las elecciones|el referéndum|
            el paro nacional|la subida del transporte|el toque de queda""",
        "product": """el celular nuevo|la laptop|los audífonos|la consola|la tele nueva|
            el reloj|la tablet|el iPhone|el Galaxy|la cámara|el router|la freidora de aire|
            los tenis|la compu|el cargador""",
        "app": """WhatsApp|Instagram|la app del banco|Spotify|Uber|la aplicación|
            TikTok|Twitter|Netflix|Google Maps|la app de delivery|YouTube|Gmail""",
        "city": """Madrid|CDMX|Buenos Aires|Bogotá|Santiago|Lima|Medellín|Guadalajara|
            Sevilla|Valencia|Caracas|Quito|Montevideo|Monterrey|Barcelona|Cali|
            Rosario|Asunción|La Paz|San José|Guayaquil|Córdoba|Valparaíso|Puebla""",
        "food": """los tacos|la pizza|las empanadas|el asado|la paella|las arepas|
            el ceviche|el café|el sushi|la hamburguesa|el pozole|los churros|
            las tortillas|el helado|la torta|el mate|los chilaquiles|el pan de la
            esquina""",
        "place": """el restaurante nuevo|la playa|el gimnasio|el cine|la oficina|el metro|
            la universidad|el aeropuerto|el hotel|el centro comercial|el parque|
            la biblioteca|el estadio|el bar de siempre|la feria""",
        "day": """hoy|el lunes|este finde|mañana|anoche|el sábado|esta semana|
            el domingo|el viernes|este año|esta mañana""",
        "person": """mi jefe|mi mamá|mi novio|mi vecino|mi hermana|mis amigos|el profe|
            mi abuela|mi novia|mi papá|mis compañeros|mi prima|mi mejor amiga""",
        "event": """el concierto|el partido|la boda|el festival|la reunión|el examen|
            la entrevista|la presentación|la fiesta|el viaje|la graduación|la final|
            el clásico|el cumpleaños|la marcha""",
        "disaster": """el terremoto|las inundaciones|el incendio|el huracán|el sismo|
            la explosión|el accidente de tren|el derrumbe|la tormenta|el tiroteo|
            el deslave|la sequía""",
        "hashtag": """#FelizLunes|#Viernes|#Futbol|#Ahora|#Noticias|#Tendencia|#TBT|
            #Finde|#Elecciones|#LigaMX|#LaLiga|#Clima|#Cine|#Música|#Series|#Trabajo""",
    },
    "en": {
        "team": """the Lakers|the Yankees|United|Arsenal|the Cowboys|Liverpool|the Celtics|
            the Patriots|Chelsea|the Warriors|the Dodgers|City|the Packers|Spurs|
            the Raptors|the Eagles|the Cubs|Leeds|the Chiefs|the Knicks""",
        "player": """the new quarterback|the keeper|the striker|the captain|the coach|
            the ref|our goalie|the rookie|the new signing|the manager|the point guard|
            Jackson|the pitcher|the closer""",
        "show": """the new season|the finale|the reality show|last night's episode|
            the debate|the premiere|the late show|the documentary series|the talk show|
            the reboot|the season opener|the awards show|the cooking show""",
        "film": """the new superhero movie|the sequel|the documentary|the animated film|
            the horror movie|the remake|the new Pixar film|the book adaptation|
            the Oscar winner|the new comedy|the trailer|the director's cut""",
        "artist": """Luna Vega|The Night Owls|the band|the new album|DJ Storm|the singer|
            Maya Brooks|that rapper|the orchestra|Kid Harbor|the boy band|the headliner|
            the opening act""",
        "pol": """the president|the mayor|the governor|the senator|Congress|
            the prime minister|the government|the opposition|the minister|the council|
            the White House|the party|the chancellor|parliament|the candidate""",
        "policy": """the tax bill|the minimum wage hike|the housing plan|the budget|
            the health care bill|the pension reform|the new tariff|the trade deal|
            the election|the referendum|the strike|the fare increase|the curfew|
            the immigration bill""",
        "product": """the new phone|my laptop|the headphones|the console|the new TV|
            the watch|the tablet|the iPhone|the Galaxy|the camera|the router|
            the air fryer|these sneakers|the charger|the new Kindle""",
        "app": """WhatsApp|Instagram|the banking app|Spotify|Uber|the app|TikTok|
            Twitter|Netflix|Google Maps|DoorDash|YouTube|Gmail|Snapchat""",
        "city": """London|New York|Chicago|LA|Toronto|Sydney|Dublin|Boston|Austin|
            Manchester|Seattle|Atlanta|Denver|Vancouver|Miami|Glasgow|Houston|Brisbane|
            Manila|Calgary""",
        "food": """the tacos|the pizza|the burgers|the ramen|the coffee|the sushi|
            the bbq|the pancakes|the donuts|the wings|the fries|the bagels|the curry|
            the ice cream|the brunch""",
        "place": """the new restaurant|the beach|the gym|the cinema|the office|the subway|
            campus|the airport|the hotel|the mall|the park|the library|the stadium|
            the bar|the fair""",
        "day": """today|on Monday|this weekend|tomorrow|last night|on Saturday|this week|
            on Sunday|on Friday|this year|this morning""",
        "person": """my boss|my mom|my boyfriend|my neighbor|my sister|my friends|
            the teacher|my grandma|my girlfriend|my dad|my coworkers|my cousin|
            my best friend|my roommate""",
        "event": """the concert|the game|the wedding|the festival|the meeting|the exam|
            the interview|the presentation|the party|the trip|graduation|the final|
            the derby|my birthday|the march""",
        "disaster": """the earthquake|the floods|the wildfire|the hurricane|the quake|
            the explosion|the train crash|the building collapse|the storm|the shooting|
            the landslide|the drought|the typhoon""",
        "hashtag": """#MondayMotivation|#Friday|#NFL|#NBA|#breaking|#news|#TBT|#weekend|
            #election|#PremierLeague|#weather|#movies|#music|#TV|#work|#tech""",
    },
}
SLOTS = {
    lang: {
        name: [" ".join(v.split()) for v in values.split("|") if v.strip()]
        for name, values in s.items()
    }
    for lang, s in S.items()
}

# --- templates: {slot} is filled; {team2} is another team; {n}, {hour}, {mag} are numbers --

T: dict[str, dict[str, list[str]]] = {"es": {}, "en": {}}

T["es"]["positive"] = """
Qué partidazo de {team}, así sí dan ganas de ver fútbol
golazo de {player}!!! qué manera de definir
{team} campeón!!! no lo puedo creer, qué felicidad
orgulloso de {team}, jugaron con el corazón
Vamos {team} carajo, se viene la copa
me encantó {show}, ya quiero el siguiente capítulo
{film} es una joya, salí del cine con una sonrisa
Lloré de emoción con {film}, qué hermosa historia
El concierto de {artist} estuvo brutal, la mejor noche del año
no paro de escuchar lo nuevo de {artist}, temazo
{artist} en vivo es otra cosa, qué voz por dios
por fin una buena noticia: {pol} aprobó {policy}
bien por {pol}, así se gobierna
Me alegra mucho que salió adelante {policy}
Excelente discurso de {pol}, claro y con propuestas
estrené {product} y es una maravilla, la batería dura todo el día
{product} vale cada peso, súper recomendado
la nueva actualización de {app} quedó muy bien, por fin
qué rico estuvo {food} de {place}, volvería mil veces
{food} de mi abuela no tiene comparación, lo mejor del mundo
día perfecto en {city}, sol, amigos y buena comida
amo {city}, cada vez que vuelvo me enamoro más
qué lindo día hace {day}, ideal para salir
por fin llegó la lluvia, el campo la necesitaba tanto
me dieron el trabajo!!! no lo puedo creer
aprobé {event}!!! tanto esfuerzo valió la pena
{person} me sorprendió con un regalo hermoso, lo amo
gracias {person} por estar siempre, te quiero mucho
qué bien la pasamos en {event}, hay que repetirlo
{event} fue un éxito, gracias a todos los que vinieron
feliz cumpleaños a {person}!!! que tengas un día increíble
qué buena onda la gente de {place}, te atienden re bien
esta canción me pone de buen humor siempre
me siento muy afortunada por la gente que tengo cerca
hoy es un gran día, arrancamos con todo
tqm amiga, gracias por aguantarme siempre
jajaja no puedo con este video, me alegró el día
qué chido estuvo {event}, la neta
bacán el fin de semana en la playa, cero estrés
qué bárbaro {player}, es un crack
lo mejor de {day} fue {food}, sin duda
al final todo salió bien, estoy muy tranquila
llegamos a {city} y el hotel es precioso
el vuelo llegó antes y el personal súper amable, así da gusto
ya tengo entradas para {event}!!! no puedo esperar
gran trabajo de los bomberos en {city}, verdaderos héroes
Todo mi apoyo a las familias afectadas por {disaster} en {city}, fuerza
Fuerza {city}, de esta salimos juntos
gracias a los voluntarios que ayudan tras {disaster}, son enormes
Qué alivio saber que mi familia en {city} está bien
Oremos por {city}, mucha fuerza a todos los afectados
Qué orgullo ver a la gente de {city} ayudándose entre todos
se nota el cambio en el barrio, ahora da gusto caminar por acá
no está nada mal {film}, me sorprendió para bien
no es por nada pero {team} está jugando increíble
{product} no me decepcionó para nada, funciona perfecto
pensé que {show} iba a ser aburrido y me encantó
mi perro me recibe así todos los días y se me pasa todo
{day} corrí mis primeros 10 km, feliz y cansada
nada como un café en la mañana para arrancar con energía
la película de anoche 10/10, la recomiendo
me quedo con lo positivo: buen ambiente y buena gente
la mejor decisión fue venirme a vivir a {city}
al fin viernes y con plan, qué felicidad
este equipo me devuelve la ilusión, gracias muchachos
buenísima la entrevista a {artist}, un genio
{pol} cumplió lo que prometió, hay que reconocerlo
buen día a todos, que tengan una linda semana
sale el sol después de una semana gris, qué bendición
se me arregló el día con esta noticia
qué crack {person}, siempre salvándome
increíble la vista desde {place}
esa serie es adictiva, la mejor que vi este año
menos mal que existe {app}, me salvó la vida hoy
ya son 10 años juntos, gracias por tanto amor
me gusta mucho cómo quedó la casa después de pintarla
buena la nueva función de {app}, muy útil
salió todo perfecto en {event}, estoy feliz
el nuevo álbum de {artist} es una obra maestra
gran partido de {team}, merecida victoria
recomiendo muchísimo {place}, atención de diez
qué ganas de ver a {artist} mañana, ya tengo mi entrada!!
no puedo esperar al estreno de {film} el viernes
mañana me voy a {city} con {person}, qué emoción
este finde toca {event} y estoy feliz
ya casi es {event}, contando los días
{person} me invitó a {event}, qué buena onda
el {product} nuevo está espectacular, la cámara es otro nivel
por fin me llegó {product}, amor a primera vista
el servicio de {app} mejoró muchísimo, bien ahí
qué buen gusto tiene {artist}, cada canción mejor que la anterior
feliz de volver a ver a {team} en primera
ganamos el clásico!!! semana perfecta
se viene {show} y yo lista con las palomitas
gracias a todos por los saludos, me hicieron muy feliz
ojalá todos los días fueran como hoy
aunque llovió, {event} estuvo buenísimo
costó pero valió la pena, orgullosa del equipo
qué tierno el video de {person}, me derrito
""".strip().splitlines()

T["es"]["negative"] = """
qué vergüenza {team}, jugaron horrible
otra vez perdió {team}, ya no sé ni para qué lo veo
el árbitro nos robó el partido, una vergüenza
{player} no la mete ni aunque le pongan el arco vacío
{show} cada vez peor, ya nadie lo aguanta
qué decepción {film}, dos horas perdidas de mi vida
pésimo el final de {show}, arruinaron todo
{artist} canceló el concierto y no devuelven la plata, qué asco
fui a ver a {artist} y el sonido era un desastre
{pol} no tiene idea de lo que hace, qué desastre de gestión
{policy} es un robo a la clase media
hartos de las mentiras de {pol}
{pol} prometió todo y no cumplió nada, como siempre
Indignante lo que aprobó el congreso, nos toman por idiotas
{product} se me murió a los dos meses, nunca más compro esa marca
{app} no funciona desde hace horas, qué fastidio
odio la nueva actualización de {app}, todo está peor
{food} de {place} estaba frío y carísimo, no vuelvo
me intoxiqué con {food}, qué asco
{city} es un caos, dos horas de tráfico para llegar al trabajo
otra vez sin luz en {city} y nadie dice nada
qué calor insoportable, no se puede ni respirar
llueve y se inunda todo, como cada año, qué desastre
{person} me dejó plantada otra vez, estoy harta
odio los lunes, no quiero hacer nada
me siento fatal, llevo días sin dormir
reprobé {event}, qué bajón
me despidieron del trabajo, no sé qué voy a hacer
{event} fue un desastre, nada salió como esperaba
me robaron el celular en el metro, qué impotencia
el vuelo lleva 5 horas de retraso y nadie informa nada
perdieron mi maleta y la aerolínea ni responde
qué tristeza lo que pasó en {city}, no tengo palabras
Terrible {disaster} en {city}, se me parte el alma
Qué miedo, se sintió muy fuerte {disaster}
Lamentable la respuesta del gobierno ante {disaster}, pura incompetencia
Qué dolor ver las imágenes de {disaster}, pobre gente
DEP a las víctimas, qué tragedia tan horrible
Otra tragedia que se pudo evitar, negligencia total
genial, otra vez sin internet justo cuando más lo necesito 🙃
qué maravilla trabajar un domingo, lo que siempre soñé 🙃
me encanta esperar una hora el bus bajo la lluvia, de verdad
claro, porque subir los precios otra vez es buenísima idea
no me gusta nada cómo está jugando {team}
no sirve para nada {product}, lo voy a devolver
nunca más voy a {place}, la atención fue pésima
no puedo más con este trabajo, estoy quemada
estoy cansada de que todo me salga mal
qué bajón, se canceló {event}
{day} fue el peor día de la semana, todo mal
me da rabia que nadie respete la fila
por qué la gente es tan mala onda en {app}
me duele todo, odio estar enferma
qué fome el finde, lloviendo y sin plata
no manches, otra vez subió la gasolina
estos políticos son todos iguales, unos ladrones
qué asco la corrupción en este país
perdimos la final, qué tristeza tan grande
triste ver {place} tan abandonado
{team} es una vergüenza, que se vaya el técnico ya
el servicio de {app} es una porquería
mi jefe es insoportable, cada día peor
llevo una semana esperando el paquete y nada
se me rompió la pantalla de {product}, qué mala suerte
me quedé sin entradas para {event}, lloro
ya no aguanto a mis vecinos con la música a todo volumen
no puedo creer que suban el transporte otra vez, abusivos
el tráfico de hoy fue un infierno
qué pereza volver a la rutina
qué triste despedirme de {city}
se murió mi perrito, lo voy a extrañar mucho
{pol} solo piensa en su imagen, qué asco
horrible el clima de hoy, frío y viento
lo de {team} no tiene nombre, jugaron sin ganas
la peli estaba bien hasta el final, lo arruinaron
me preocupa mucho la situación del país
esto es un desastre de principio a fin
tengo miedo de lo que viene con {policy}
qué impotencia ver cómo destruyen todo
me voy a perder {event} por culpa del trabajo, qué bronca
mañana tengo {event} y no estudié nada, estoy muerta de nervios
no quiero ir a {place} mañana, qué flojera
a este paso {team} se va a la B
la cámara de {product} es una estafa, nada que ver con la publicidad
desde que actualicé {app} se me cierra a cada rato
qué mal se ve {show} esta temporada, pobre guion
{artist} sacó canción y es malísima, qué pasó
qué decepción con {pol}, esperaba mucho más
tanto hype para esto? {film} es aburridísima
perdí el bus y llegué tarde a {event}, día horrible
me cancelaron el vuelo a {city}, no puede ser
no entiendo cómo alguien puede defender a {pol}
lo peor de {day} fue ver perder a {team}
ya no sé qué hacer, todo sale mal
{person} no me habla desde ayer y me siento fatal
""".strip().splitlines()

T["es"]["neutral"] = """
{team} juega {day} contra {team2} a las {hour}
¿Alguien sabe a qué hora empieza {event}?
¿Dónde se puede ver el partido de {team}?
Alineación confirmada de {team} para el partido de {day}
{player} fue convocado a la selección
Se estrena {day} {film} en todos los cines
{show} vuelve {day} a las {hour}
¿Vale la pena ver {show}? estoy pensando empezarla
{artist} anuncia gira por {city} en noviembre
Ya salió el nuevo sencillo de {artist}
{pol} se reunirá {day} con los alcaldes
{pol} presentó {policy} ante el congreso
El congreso debate {day} {policy}
Las elecciones serán el próximo domingo, recuerden llevar su cédula
{pol} dijo que {policy} se votará la próxima semana
¿Qué opinan de {policy}?
Estos son los detalles de {policy} que se votan hoy
Sale a la venta {product} el 15 de marzo
¿Alguien tiene {product}? ¿qué tal la batería?
{app} lanza una nueva función para compartir videos
Cómo cambiar la contraseña de {app}, hilo
Mañana cierran {place} por mantenimiento
Pronóstico para {day} en {city}: nublado con máximas de {n} grados
Se esperan lluvias en {city} durante la tarde
Alerta por lluvias intensas en la zona norte de {city}
Sismo de magnitud {mag} se registró esta mañana en {city}
Cifra de fallecidos por {disaster} en {city} sube a {n}
Autoridades informan que {disaster} dejó {n} heridos en {city}
Reportan cortes de luz en varios sectores de {city} tras {disaster}
Estos son los centros de acopio para ayudar tras {disaster} en {city}
Protección civil pide evitar la zona del centro de {city}
Números de emergencia para los afectados por {disaster}
{pol} visitará {day} la zona afectada por {disaster}
Se investiga la causa de {disaster} en {city}
Así quedó la zona después de {disaster} en {city}, fotos
En vivo: lo último sobre {disaster} en {city}
Abre {day} la nueva línea de metro en {city}
El precio de la gasolina sube {n} centavos a partir del lunes
El dólar cerró hoy en {n} pesos
Estoy en {place}, ¿alguien anda por acá?
voy a {city} {day}, ¿recomendaciones de dónde comer?
¿Qué hago de cenar hoy? acepto ideas
Hoy toca {food} en casa
{person} cumple años {day}
Mañana tengo {event} a las {hour}
¿Alguien sabe si {place} abre los domingos?
Recordatorio: {day} hay reunión de padres a las {hour}
Nuevo video en mi canal, link en la bio
Hilo de lo que pasó hoy en la sesión del congreso 👇
Así va la tabla después de la fecha {n}
Resultados de la jornada: {team} {n}, {team2} 1
Horarios del metro para {day} por el feriado
¿Cuánto cuesta el pasaje a {city}?
Estoy viendo {show}, ya voy por el capítulo {n}
Se confirma el cambio de horario para este domingo
Mañana inicia el periodo de inscripciones en la universidad
Se vende {product}, poco uso, escribir por privado
Busco depa en {city}, zona centro, dos cuartos
¿Alguien tiene los apuntes de la clase de ayer?
Llegué a {city}, mañana empiezo el curso
El concierto de {artist} será en el estadio a las {hour}
Conferencia de prensa de {pol} a las {hour}
Encuesta: {n}% apoya {policy}
Según el INE, la inflación de octubre fue de {n}%
Hoy se cumple un año de {disaster} en {city}
Minuto de silencio antes del partido de {team} por las víctimas
Lo que sabemos hasta ahora de {disaster}
Sigue en directo la rueda de prensa de {team}
{team} ficha a {player} por tres temporadas
¿A qué hora es el partido de {team}?
El clima {day}: mínima de 12 y máxima de {n}
Estos son los ganadores de la noche
Trámite de pasaporte: requisitos y horarios
Cierre de calles en {city} por la maratón de {day}
Hoy comienza la feria del libro en {city}
Se reanuda el servicio del tren después de las {hour}
ok, nos vemos a las {hour} en {place}
Acabo de llegar a casa
Primera vez que pruebo {food}
{app} estará en mantenimiento esta noche
Ya está disponible la versión {n} de {app}
¿Es normal que {product} se caliente al cargar?
Comparativa: {product} contra la competencia, precios y características
mañana voy a ver {film}, ¿alguien más va?
{team} y {team2} se enfrentan {day} en el estadio
¿Quién gana hoy, {team} o {team2}?
{pol} habló esta mañana sobre {policy}
Comunicado oficial de {team} sobre la lesión de {player}
Hoy a las {hour} se presenta {artist} en {city}
Los boletos para {event} salen a la venta el lunes
{app} cambió el diseño de su pantalla de inicio
¿Cómo se configura {product} para usarlo con {app}?
{person} se va a vivir a {city} el mes que viene
Me cambié de número, escríbanme por {app}
Confirmado: {show} tendrá tercera temporada
Reunión de vecinos {day} a las {hour} en {place}
Según el pronóstico, {day} llueve en {city}
El {event} se pasa al sábado por la lluvia
¿Alguien va a {event}? vamos juntos
""".strip().splitlines()

T["en"]["positive"] = """
What a game by {team}! That's why I love this sport
{player} with the goal of the season!!! unreal
{team} are champions!!! I can't believe it, so happy
So proud of {team} tonight, they played with heart
Let's go {team}!! We're going all the way this year
Loved {show}, can't wait for next week's episode
{film} is a gem, walked out of the theater smiling
{film} made me cry happy tears, beautiful story
{artist} was incredible last night, best show of the year
Can't stop listening to the new {artist} album, it's fire
{artist} live is something else, what a voice
Finally some good news: {pol} passed {policy}
Good on {pol}, that's how you lead
Really glad {policy} went through
Great speech by {pol}, clear and full of ideas
Just got {product} and it's amazing, battery lasts all day
{product} is worth every penny, highly recommend
The new {app} update is actually really nice
{food} at {place} was so good, will definitely go back
Nothing beats my grandma's cooking, best in the world
Perfect day in {city}, sunshine, friends and good food
I love {city}, every time I come back I fall for it again
Gorgeous weather {day}, perfect for a walk
Finally some rain, the gardens really needed it
I GOT THE JOB!!! I can't believe it
Passed {event}!!! all that studying paid off
{person} surprised me with the sweetest gift, love them
Thank you {person} for always being there, love you
We had such a great time at {event}, let's do it again
{event} was a huge success, thanks to everyone who came
Happy birthday {person}!!! have an amazing day
The staff at {place} are so friendly, great service
This song always puts me in a good mood
Feeling so lucky to have such amazing people around me
Today is a great day, let's go
ily bestie, thanks for putting up with me
lmao this video made my day
{event} was lit ngl
Beach weekend was exactly what I needed, zero stress
{player} is a beast, what a player
Best part of {day} was {food}, no question
In the end everything worked out, feeling relieved
We made it to {city} and the hotel is stunning
Flight landed early and the crew were lovely, that's how it's done
Got tickets for {event}!!! can't wait
Huge respect to the firefighters in {city}, true heroes
Thoughts and prayers with everyone affected by {disaster} in {city}, stay strong
Stay strong {city}, we'll get through this together
Thank you to all the volunteers helping after {disaster}, you're amazing
So relieved to hear my family in {city} is safe
Praying for {city}, sending love to everyone affected
Proud to see people in {city} helping each other
The neighborhood has changed so much, it's lovely to walk around now
{film} wasn't bad at all, pleasantly surprised
Not gonna lie, {team} are playing brilliantly
{product} didn't disappoint, works perfectly
Thought {show} would be boring but I loved it
My dog greets me like this every day and all my stress is gone
Ran my first 10k {day}, tired but so happy
Nothing like a good coffee in the morning to get going
Last night's movie was a 10/10, go see it
Taking the positives: great vibe and great people
Best decision ever was moving to {city}
Finally Friday and I have plans, yay
This team gives me hope again, thank you boys
Great interview with {artist}, what a legend
Credit where it's due, {pol} kept the promise
Good morning everyone, have a lovely week
The sun is out after a grey week, what a blessing
This news just made my whole day
{person} is the best, always saving me
The view from {place} is incredible
This show is so addictive, best thing I've watched this year
Thank god for {app}, saved my life today
10 years together today, grateful for all the love
Loving how the house looks after painting it
The new feature in {app} is super useful
Everything went perfectly at {event}, so happy
The new {artist} record is a masterpiece
Great win for {team}, well deserved
Highly recommend {place}, top notch service
Can't wait to see {artist} tomorrow, got my ticket!!
So excited for {film} on Friday
Heading to {city} with {person} tomorrow, so excited
{event} this weekend and I'm pumped
Counting down the days until {event}
{person} invited me to {event}, how sweet
The new {product} is stunning, the camera is next level
{product} finally arrived, love at first sight
{app} has gotten so much better lately, nice work
{artist} never misses, every song better than the last
Great to see {team} back in the top flight
We won the derby!!! perfect week
{show} tonight and the popcorn is ready
Thanks everyone for the birthday wishes, you made my day
Wish every day was like today
Even with the rain, {event} was brilliant
It took a while but it was worth it, proud of the team
{person}'s video is the cutest thing I've seen all week
Going to see {team} play on Saturday with my dad, can't wait
""".strip().splitlines()

T["en"]["negative"] = """
Embarrassing performance by {team}, just awful
{team} lost again, why do I even watch anymore
The ref robbed us, absolute disgrace
{player} couldn't score on an empty net
{show} gets worse every week, I'm done with it
What a letdown {film} was, two hours I'll never get back
That {show} ending was terrible, they ruined everything
{artist} cancelled the show and won't refund us, disgusting
Went to see {artist} and the sound was a mess
{pol} has no clue what they're doing, what a disaster
{policy} is daylight robbery of the middle class
Sick of the lies from {pol}
{pol} promised everything and delivered nothing, as usual
Outrageous what Congress just passed, they think we're stupid
{product} died after two months, never buying that brand again
{app} has been down for hours, so annoying
I hate the new {app} update, everything is worse
{food} at {place} was cold and overpriced, never again
Got food poisoning from {food}, gross
{city} traffic is a nightmare, two hours to get to work
Power's out again in {city} and nobody says a thing
This heat is unbearable, can't even breathe
It rains and everything floods, like every year, what a mess
{person} stood me up again, I'm so done
I hate Mondays, don't want to do anything
Feeling awful, haven't slept in days
Failed {event}, I'm gutted
Got laid off today, no idea what I'm going to do
{event} was a disaster, nothing went right
Someone stole my phone on the subway, so angry
Flight delayed 5 hours and nobody tells us anything
They lost my luggage and the airline won't answer
So sad about what happened in {city}, no words
Terrible news about {disaster} in {city}, heartbreaking
That was scary, {disaster} felt really strong
Pathetic government response to {disaster}, total incompetence
Those pictures of {disaster} are devastating, poor people
RIP to the victims, such a horrible tragedy
Another tragedy that could have been prevented, pure negligence
Great, no internet again right when I need it 🙃
Love working on a Sunday, living the dream 🙃
Just love waiting an hour for the bus in the rain. Really.
Sure, raising prices again is a brilliant idea
I don't like how {team} are playing at all
{product} is useless, sending it back
Never going back to {place}, the service was awful
I can't do this job anymore, completely burnt out
Tired of everything going wrong for me
Ugh, {event} got cancelled
{day} was the worst day of the week
It makes me so mad that nobody respects the line
Why are people so toxic on {app}
Everything hurts, I hate being sick
Boring weekend, raining and broke
smh gas prices went up again
Politicians are all the same, a bunch of crooks
The corruption in this country is disgusting
We lost the final, I'm heartbroken
Sad to see {place} so run down
{team} are a joke, fire the coach already
{app} customer service is garbage
My boss is unbearable, worse every day
Been waiting a week for my package and nothing
Cracked the screen on {product}, just my luck
Missed out on tickets for {event}, crying
Can't stand my neighbors blasting music all night
Can't believe they're raising fares again, what a ripoff
Traffic today was hell
Dreading going back to work tomorrow
So sad to say goodbye to {city}
My dog passed away today, I'm going to miss him so much
{pol} only cares about photo ops, disgusting
Horrible weather today, freezing and windy
What {team} did tonight was unacceptable, no effort at all
The movie was fine until the ending, they ruined it
Really worried about where this country is heading
This is a mess from start to finish
Scared of what {policy} will mean for us
wtf is wrong with people
Gonna miss {event} because of work, so annoyed
{event} tomorrow and I haven't studied at all, so stressed
Really don't want to go to {place} tomorrow
At this rate {team} are getting relegated
The camera on {product} is a scam, nothing like the ads
Ever since I updated {app} it keeps crashing
{show} looks so bad this season, lazy writing
{artist} dropped a new song and it's awful, what happened
So disappointed in {pol}, expected much more
All that hype for this? {film} is so boring
Missed the bus and was late for {event}, horrible day
My flight to {city} got cancelled, can't believe it
How can anyone still defend {pol}
Worst part of {day} was watching {team} lose
Don't know what to do anymore, nothing goes right
{person} hasn't talked to me since yesterday and I feel awful
May have to skip {event} tomorrow, so gutted
""".strip().splitlines()

T["en"]["neutral"] = """
{team} play {team2} {day} at {hour}
Does anyone know what time {event} starts?
Where can I watch the {team} game?
{team} lineup confirmed for {day}
{player} has been called up to the national team
{film} opens in theaters {day}
{show} returns {day} at {hour}
Is {show} worth watching? thinking of starting it
{artist} announces tour dates including {city}
The new {artist} single is out now
{pol} will meet with the mayors {day}
{pol} introduced {policy} today
Congress debates {policy} {day}
Election day is next Sunday, remember to bring ID
{pol} says the vote on {policy} will be next week
What do you all think about {policy}?
Here's what's in {policy} being voted on today
{product} goes on sale March 15
Anyone have {product}? How's the battery?
{app} rolls out a new feature for sharing videos
How to change your {app} password, a thread
{place} will be closed tomorrow for maintenance
Forecast for {day} in {city}: cloudy with a high of {n}
Rain expected in {city} this afternoon
Heavy rain warning for northern {city}
Magnitude {mag} earthquake reported this morning near {city}
Death toll from {disaster} in {city} rises to {n}
Officials say {disaster} left {n} people injured in {city}
Power outages reported across {city} after {disaster}
Here's where to donate to help after {disaster} in {city}
Emergency services ask people to avoid downtown {city}
Emergency numbers for those affected by {disaster}
{pol} to visit the area hit by {disaster} {day}
Investigation underway into the cause of {disaster} in {city}
Photos show the aftermath of {disaster} in {city}
Live updates: the latest on {disaster} in {city}
New subway line opens {day} in {city}
Gas prices go up {n} cents starting Monday
The dollar closed at {n} today
At {place} right now, anyone around?
Heading to {city} {day}, where should I eat?
What should I make for dinner? ideas welcome
{food} for dinner tonight
{person}'s birthday is {day}
I have {event} tomorrow at {hour}
Does anyone know if {place} is open on Sundays?
Reminder: parent meeting {day} at {hour}
New video up on my channel, link in bio
Thread on what happened in today's hearing 👇
Standings after week {n}
Full time: {team} {n}, {team2} 1
Subway schedule for {day} because of the holiday
How much is a ticket to {city}?
Watching {show}, on episode {n} now
Clocks go back this Sunday
Registration for next semester opens tomorrow
Selling {product}, barely used, DM me
Looking for a 2 bedroom apartment in {city}
Does anyone have the notes from yesterday's class?
Just landed in {city}, course starts tomorrow
{artist} concert at the stadium starts at {hour}
{pol} press conference at {hour}
Poll: {n}% support {policy}
Inflation came in at {n}% in October
One year since {disaster} in {city}
Minute of silence before the {team} game for the victims
What we know so far about {disaster}
Watch live: {team} press conference
{team} sign {player} on a three-year deal
What time is the {team} game?
Weather {day}: low of 12 and high of {n}
Here are tonight's winners
Passport renewal: requirements and office hours
Road closures in {city} for the marathon {day}
The book fair starts today in {city}
Train service resumes after {hour}
ok, see you at {hour} at {place}
Just got home
First time trying {food}
{app} will be down for maintenance tonight
Version {n} of {app} is now available
Is it normal for {product} to get warm while charging?
{product} vs the competition: prices and specs
Going to see {film} tomorrow, anyone else going?
{team} and {team2} meet {day} at the stadium
Who wins tonight, {team} or {team2}?
{pol} spoke this morning about {policy}
Official statement from {team} on {player}'s injury
{artist} plays {city} tonight at {hour}
Tickets for {event} go on sale Monday
{app} changed the design of its home screen
How do I set up {product} to work with {app}?
{person} is moving to {city} next month
New number, message me on {app}
Confirmed: {show} gets a third season
Neighborhood meeting {day} at {hour} at {place}
Forecast says rain {day} in {city}
{event} moved to Saturday because of the rain
Anyone going to {event}? let's go together
{pol} will be on {show} tonight
""".strip().splitlines()

# Lines written out in full, split by position like the templates.
H: dict[str, dict[str, list[str]]] = {
    "es": {
        "positive": """jajaja te amo
qué buena vibra hoy ✨
lo logramos!!!
tqm
q lindooo
mil gracias de verdad
ufff qué temazo
felicidades!!! te lo mereces
ame
10/10
qué bonito todo
buenísimo, gracias!
me hizo el día
qué nivel
bien ahí
vamoooo
se pasaron, qué buena fiesta
qué hermosura de lugar
joya, gracias
por fin en casa y tranquila""".splitlines(),
        "negative": """no puedo más
qué asco todo
ya valió
odio todo
qué horror
nmms qué mal
me quiero morir de vergüenza
qué pésimo
uff qué bajón
no manches, qué feo
una vergüenza
tristísimo
estoy harto
ya me cansé
me cago en todo
qué rabia
nooo por qué
qué injusticia
ni ganas de nada
mal, muy mal""".splitlines(),
        "neutral": """buenos días
ok
¿alguien?
llegando
en camino
¿qué hora es?
mañana veo
ahí vamos
¿dónde es?
lunes otra vez
recién me entero
a ver qué pasa
eso dicen
ya veremos
¿alguien más lo vio?
sigo esperando noticias
no sé qué pensar
ni fu ni fa
eso
hoy hay partido""".splitlines(),
    },
    "en": {
        "positive": """love this
lol love you
yesss we did it!!!
congrats!!! so deserved
best day ever
omg this is amazing
so cute
thank you so much
this made my day
10/10
obsessed
that was awesome
can't stop smiling
good vibes only
yay!!
legend
so good
well done!
what a night
home and happy""".splitlines(),
        "negative": """I can't anymore
ugh
this sucks
hate this
so over it
worst
ffs
smh
disgusting
so sad
not again
this is so unfair
I'm fuming
kill me now
I'm so done
fml
nope nope nope
gutted
what a joke
terrible""".splitlines(),
        "neutral": """good morning
ok
anyone?
on my way
omw
what time is it?
will see tomorrow
here we go
where is it?
Monday again
just heard
let's see what happens
that's what they say
we'll see
did anyone else see that?
still waiting for news
not sure what to think
meh
this
game day""".splitlines(),
    },
}


def _words(spaced: str) -> list[str]:
    return spaced.split()


_SLOT_RE = re.compile(r"\{(\w+)\}")
DECOR = {
    "es": {
        "laugh": ["jaja", "jajaja", "jajajaja", "JAJAJA", "jsjsjs", "xD", "jeje"],
        "positive": _words("😍 ❤️ 😊 🙌 👏 🎉 🥰 💪 :) :D 😁 🔥 💯 ✨ 🙏"),
        "negative": _words("😡 😢 😭 💔 👎 😤 😒 🙄 :( :'( 😞 🤬 😩"),
        "neutral": _words("📢 📍 👉 ⚽ 📺 🗳️ 📸 🕐 🔴 🗞️"),
        "handles": ["@maria_g", "@elpepe", "@NoticiasYa", "@juanchi", "@la_flaca", "@RadioSur"],
        "tail": {"positive": ["!!!", "!!", " <3"], "negative": ["!!!", "...", " ¬¬"],
                 "neutral": ["", "", "?"]},
    },
    "en": {
        "laugh": ["lol", "lmao", "haha", "hahaha", "LOL", "lmfao"],
        "positive": _words("😍 ❤️ 😊 🙌 👏 🎉 🥰 💪 :) :D 😁 🔥 💯 ✨ 🙏"),
        "negative": _words("😡 😢 😭 💔 👎 😤 😒 🙄 :( :'( 😞 🤬 😩"),
        "neutral": _words("📢 📍 👉 🏈 📺 🗳️ 📸 🕐 🔴 🗞️"),
        "handles": ["@jess_m", "@bigmike", "@NewsNow", "@tayy", "@dan_the_man", "@CityRadio"],
        "tail": {"positive": ["!!!", "!!", " <3"], "negative": ["!!!", "...", " smh"],
                 "neutral": ["", "", "?"]},
    },
}  # fmt: skip
_ACCENTS = str.maketrans("áéíóúÁÉÍÓÚ¿¡", "aeiouAEIOU  ")
_STRETCH_RE = re.compile(r"([aeiouy])(?=[^aeiouy]*$)")


def _fill(template: str, lang: str, rng: random.Random) -> str:
    slots = SLOTS[lang]
    used: dict[str, str] = {}

    def slot(match: re.Match) -> str:
        name = match.group(1)
        if name == "n":
            return str(rng.choice([2, 3, 4, 5, 7, 12, 15, 20, 23, 31, 48, 60, 100, 250]))
        if name == "hour":
            return rng.choice(["8:00", "9:30", "13:00", "16:00", "18:30", "20:00", "21:45"])
        if name == "mag":
            return rng.choice(
                ["4,2", "5,1", "6,3", "7,4"] if lang == "es" else ["4.2", "5.1", "6.3"]
            )
        if name == "team2":
            return rng.choice([t for t in slots["team"] if t != used.get("team")])
        value = rng.choice(slots[name])
        used[name] = value
        return value

    text = _SLOT_RE.sub(slot, template)
    return text[0].upper() + text[1:] if text[:1].islower() and rng.random() < 0.5 else text


def _dress(text: str, lang: str, label: str, rng: random.Random) -> str:
    """Dress a line as a post: handles, hashtags, links, emoji, laughter, case, accents."""
    decor = DECOR[lang]
    if label == "neutral" and rng.random() < 0.3:
        text += " https://t.co/" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGH2345678")
                                           for _ in range(8))  # fmt: skip
    elif rng.random() < 0.08:
        text += " http://bit.ly/" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(6))
    if rng.random() < 0.25:
        text += " " + rng.choice(SLOTS[lang]["hashtag"])
    if rng.random() < 0.35:
        pool = decor[label] if rng.random() < 0.85 else decor["neutral"]
        text += " " + rng.choice(pool) * rng.choice([1, 1, 1, 2, 3])
    if label == "positive" and rng.random() < 0.15:
        text += " " + rng.choice(decor["laugh"])
    if rng.random() < 0.1:
        text = text.rstrip(".!? ") + rng.choice(decor["tail"][label])
    roll = rng.random()
    if roll < 0.12:
        text = rng.choice(decor["handles"]) + " " + text
    elif roll < 0.2:
        text = f"RT {rng.choice(decor['handles'])}: {text}"
    roll = rng.random()
    if roll < 0.35:
        text = text.lower()
    elif roll < 0.4 and label != "neutral":
        text = text.upper()
    if lang == "es" and rng.random() < 0.35:
        text = " ".join(text.translate(_ACCENTS).split())
    if label != "neutral" and rng.random() < 0.1:
        words = text.split()
        i = rng.randrange(len(words))
        if words[i].isalpha():
            words[i] = _STRETCH_RE.sub(lambda m: m.group(1) * rng.choice([3, 4, 5]), words[i], 1)
        text = " ".join(words)
    return " ".join(text.split())


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text).lower()))


def build(seed: int = SEED) -> dict[str, tuple[list[dict], list[dict]]]:
    """(train, dev) lines per language."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    out = {}
    seen: set[str] = set()
    for lang in ("es", "en"):
        train: list[dict] = []
        dev: list[dict] = []
        for label in LABELS:
            sources = [(i, t, True) for i, t in enumerate(T[lang][label])]
            sources += [(i, h, False) for i, h in enumerate(H[lang][label])]
            for number, text, is_template in sources:
                part = dev if number % 10 in (2, 7) else train
                want = DEV_PER_TEMPLATE if part is dev else TRAIN_PER_TEMPLATE
                tries = want * 4 if is_template else 3
                made = 0
                for attempt in range(tries):
                    line = _fill(text, lang, rng) if is_template else text
                    if is_template or attempt:
                        line = _dress(line, lang, label, rng)
                    key = _key(line)
                    if not key or key in seen:
                        continue
                    seen.add(key)
                    part.append({"text": line, "label": label, "lang": lang})
                    made += 1
                    if made >= (want if is_template else 2):
                        break
        out[lang] = (train, dev)
    return out


def write(directory: Path = DATA) -> dict[str, tuple[int, int]]:
    return write_splits(directory, "sentiment_gen", build())


if __name__ == "__main__":
    for lang, (n_train, n_dev) in write().items():
        print(f"{lang}: {n_train} train, {n_dev} dev")  # noqa: T201 - a command's output
