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
    The head of the school will also be there.
    The meeting is on { $date } at { $heure }.
    The address is: { $lieu }.
    You can come with a person of your choice.
    Do you have a question? Call { $telephone }.
    Would you rather talk than read? Call this number.
    We will explain everything on the phone.
    You cannot come that day? Call us.
    We will find another date with you.
    The attached invitation adds this meeting to your calendar.
