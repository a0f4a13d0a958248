weekday-1 = segunda-feira
weekday-2 = terça-feira
weekday-3 = quarta-feira
weekday-4 = quinta-feira
weekday-5 = sexta-feira
weekday-6 = sábado
weekday-7 = domingo
month-1 = janeiro
month-2 = fevereiro
month-3 = março
month-4 = abril
month-5 = maio
month-6 = junho
month-7 = julho
month-8 = agosto
month-9 = setembro
month-10 = outubro
month-11 = novembro
month-12 = dezembro
date-long = { $weekday }, { $day } de { $month } de { $year }
heure = { $hour }h{ $mm }
version-francaise = Versão em francês:

par-convocation-objet = Reunião sobre o seu filho: { $date }
par-convocation =
    Olá,
    Gostaríamos de falar consigo sobre o seu filho.
    O objetivo é ajudá-lo a continuar bem a escolaridade.
    Vai encontrar o diretor académico, responsável pela Educação Nacional no departamento.
    A direção da escola do seu filho também estará presente: { $etablissement }.
    Data da reunião: { $date }, às { $heure }.
    Morada: { $lieu }.
    Pode vir acompanhado de uma pessoa à sua escolha.
    Tem alguma pergunta? Ligue para { $telephone }.
    Prefere falar em vez de ler? Ligue para este número.
    Explicamos tudo ao telefone.
    Não pode vir nesse dia? Ligue-nos.
    Procuramos outra data consigo.
    O convite em anexo adiciona esta reunião à sua agenda.

## Em cada aviso
remplace = Esta mensagem anula e substitui a anterior. A reunião de { $ancienne-date } às { $ancienne-heure } já não se realiza. Eis a nova data.
reponse-intro = Diga-nos se vem. Clique num dos dois links:
reponse-oui = Eu vou
reponse-rappel = Não posso ir, liguem-me
reference = Ao telefone, indique este número de processo: { $reference }.
signature = { $signataire }. Telefone: { $telephone }.

annule-titre = Reunião cancelada: { $date }
annule = A reunião de { $date } às { $heure } foi cancelada. Não precisa de vir. Vamos ligar-lhe para encontrar outra data. Alguma pergunta? Ligue para { $telephone }.

## A página onde a família responde
page-titre = A sua resposta para a reunião
page-oui = Vem à reunião de { $date } às { $heure }? Confirme com o botão.
page-rappel = Não pode vir à reunião de { $date } às { $heure }? Confirme com o botão. Vamos ligar-lhe para encontrar outra data.
page-bouton-oui = Sim, eu vou
page-bouton-rappel = Liguem-me
page-merci-oui = Obrigado. Registámos que vem no dia { $date } às { $heure }.
page-merci-rappel = Obrigado. Vamos ligar-lhe para encontrar outra data.
page-perime = Este link já não funciona: a reunião mudou ou já passou. Leia a última mensagem recebida, ou ligue para o número indicado.
