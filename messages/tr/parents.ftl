weekday-1 = Pazartesi
weekday-2 = Salı
weekday-3 = Çarşamba
weekday-4 = Perşembe
weekday-5 = Cuma
weekday-6 = Cumartesi
weekday-7 = Pazar
month-1 = Ocak
month-2 = Şubat
month-3 = Mart
month-4 = Nisan
month-5 = Mayıs
month-6 = Haziran
month-7 = Temmuz
month-8 = Ağustos
month-9 = Eylül
month-10 = Ekim
month-11 = Kasım
month-12 = Aralık
date-long = { $day } { $month } { $year } { $weekday }
heure = { $hour }.{ $mm }
version-francaise = Fransızca metin:

par-convocation-objet = Çocuğunuzla ilgili görüşme: { $date }
par-convocation =
    Merhaba,
    Sizinle çocuğunuz hakkında konuşmak istiyoruz.
    Amacımız, çocuğunuzun okulda iyi devam etmesine yardım etmek.
    İldeki Milli Eğitim sorumlusu olan akademik müdürle görüşeceksiniz.
    Çocuğunuzun okulunun yönetimi de orada olacak: { $etablissement }.
    Görüşme tarihi: { $date }, saat { $heure }.
    Adres: { $lieu }.
    Seçtiğiniz bir kişiyle birlikte gelebilirsiniz.
    Bir sorunuz mu var? { $telephone } numarasını arayın.
    Okumak yerine konuşmayı mı tercih edersiniz? Bu numarayı arayın.
    Size her şeyi telefonda anlatırız.
    O gün gelemiyor musunuz? Bizi arayın.
    Sizinle birlikte başka bir tarih buluruz.
    Ekteki davet, bu görüşmeyi takviminize ekler.

## Her bildirimde
remplace = Bu mesaj bir öncekini iptal eder ve onun yerine geçer. { $ancienne-date }, saat { $ancienne-heure } görüşmesi yapılmayacak. Yeni tarih aşağıdadır.
reponse-intro = Gelip gelmeyeceğinizi bize bildirin. İki bağlantıdan birine tıklayın:
reponse-oui = Geleceğim
reponse-rappel = Gelemiyorum, beni arayın
reference = Telefonda bu dosya numarasını söyleyin: { $reference }.
signature = { $signataire }. Telefon: { $telephone }.

annule-titre = Görüşme iptal edildi: { $date }
annule = { $date }, saat { $heure } görüşmesi iptal edildi. Gelmenize gerek yok. Başka bir tarih bulmak için sizi arayacağız. Bir sorunuz mu var? { $telephone } numarasını arayın.

## Ailenin yanıt verdiği sayfa
page-titre = Görüşme için yanıtınız
page-oui = { $date }, saat { $heure } görüşmesine gelecek misiniz? Düğmeyle onaylayın.
page-rappel = { $date }, saat { $heure } görüşmesine gelemiyor musunuz? Düğmeyle onaylayın. Başka bir tarih bulmak için sizi arayacağız.
page-bouton-oui = Evet, geleceğim
page-bouton-rappel = Beni arayın
page-merci-oui = Teşekkürler. { $date }, saat { $heure } geleceğinizi not ettik.
page-merci-rappel = Teşekkürler. Başka bir tarih bulmak için sizi arayacağız.
page-perime = Bu bağlantı artık çalışmıyor: görüşme değişti ya da geçti. Aldığınız son mesajı okuyun veya oradaki numarayı arayın.
