weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date-long = { $weekday } { $day } { $month } { $year }
heure = { $hour }:{ $mm }
version-francaise = French version:

par-convocation-objet = Meeting about your child on { $date }
par-convocation =
    Hello,
    We would like to talk with you about your child.
    The aim is to help your child do well at school.
    You will meet the director of education for the département.
    The head of your child's school will also be there: { $etablissement }.
    The meeting is on { $date } at { $heure }.
    The address is: { $lieu }.
    You can come with a person of your choice.
    Do you have a question? Call { $telephone }.
    Would you rather talk than read? Call this number.
    We will explain everything on the phone.
    You cannot come that day? Call us.
    We will find another date with you.
    The attached invitation adds this meeting to your calendar.

## Around every notice
remplace = This message cancels and replaces the previous one. The meeting on { $ancienne-date } at { $ancienne-heure } will not take place. Here is the new date.
reponse-intro = Tell us if you are coming. Click one of the two links:
reponse-oui = I will come
reponse-rappel = I cannot come, call me back
reference = On the phone, give this case number: { $reference }.
signature = { $signataire }. Phone: { $telephone }.

annule-titre = Meeting cancelled: { $date }
annule = The meeting on { $date } at { $heure } is cancelled. You do not need to come. We will call you to find another date. A question? Call { $telephone }.

## The page where the family answers
page-titre = Your answer for the meeting
page-oui = You will come to the meeting on { $date } at { $heure }? Confirm with the button.
page-rappel = You cannot come to the meeting on { $date } at { $heure }? Confirm with the button. We will call you to find another date.
page-bouton-oui = Yes, I will come
page-bouton-rappel = Call me back
page-merci-oui = Thank you. We have noted that you will come on { $date } at { $heure }.
page-merci-rappel = Thank you. We will call you to find another date.
page-perime = This link no longer works: the meeting has changed or it is over. Read the latest message you received, or call the number it gives.
