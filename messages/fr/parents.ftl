## Dates et heures
weekday-1 = lundi
weekday-2 = mardi
weekday-3 = mercredi
weekday-4 = jeudi
weekday-5 = vendredi
weekday-6 = samedi
weekday-7 = dimanche
month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
date-long = { $weekday } { $day ->
    [1] 1er
   *[other] { $day }
} { $month } { $year }
heure = { $minute ->
    [0] { $hour } h
   *[other] { $hour } h { $mm }
}
version-francaise = Version en français :

## Convocation à l'entretien du protocole d'accompagnement des parents
par-convocation-objet = Rendez-vous pour votre enfant le { $date }
par-convocation =
    Bonjour,
    Nous voulons parler avec vous de votre enfant.
    Le but est de l'aider à bien continuer sa scolarité.
    Vous allez rencontrer le directeur académique.
    C'est le responsable de l'Éducation nationale dans le département.
    La direction du collège ou du lycée sera aussi là.
    Le rendez-vous a lieu le { $date } à { $heure }.
    L'adresse est : { $lieu }.
    Vous pouvez venir avec une personne de votre choix.
    Vous avez une question ? Appelez le { $telephone }.
    Vous préférez parler plutôt que lire ? Appelez ce numéro.
    Nous vous expliquons tout au téléphone.
    Vous ne pouvez pas venir ce jour-là ? Appelez-nous.
    Nous cherchons une autre date avec vous.
    L'invitation jointe ajoute ce rendez-vous à votre agenda.
