# Mga pahina ng nag-uulat sa Amana — Filipino.

## Layout

site-name = Amana
site-tagline = Ligtas na pag-uulat ng katiwalian, at ang boses mo sa mga serbisyong pampubliko
skip-to-content = Lumaktaw sa nilalaman
languages = Wika
demo-banner = DEMO MODE — hindi para sa totoong ulat. Ang mga demo key ng mga tagasuri ay nakatago sa server na ito nang walang proteksyon.
footer-privacy = Walang cookies, walang pagsubaybay, walang panlabas na resource. Hindi iniimbak ang iyong address.
footer-check = Tingnan ang ulat gamit ang iyong code

## Home

home-title = Mag-ulat nang ligtas
home-intro = Iulat ang katiwalian at mga paglabag sa mga ahensya ng gobyerno, o magpadala ng reklamo, mungkahi, papuri, tanong o pagsusuri ng serbisyo — nang hindi ibinibigay ang iyong pangalan.
home-how-title = Paano ito gumagana
home-how-1 = Piliin kung ano ang gusto mong ipadala, at pagkatapos ang ahensyang may kinalaman.
home-how-2 = Isulat ang nangyari. Ine-encrypt ito bago iimbak: ang mga integrity officer lang ng ahensya at ang oversight unit ang makakabasa nito.
home-how-3 = Makakatanggap ka ng follow-up code. Ito lang ang paraan para masubaybayan ang iyong ulat, mabasa ang mga sagot at makapagdagdag ng impormasyon. Isulat ito at ilihim: hindi na ito mababawi.
home-safety-title = Manatiling ligtas
home-safety-tor = Para sa pinakamahusay na proteksyon, gamitin ang Tor Browser sa setting na "Safest". Gumagana ang site na ito nang walang JavaScript.
home-safety-device = Huwag gumamit ng computer o telepono ng trabaho, o ng network ng iyong pinagtatrabahuhan. Gumamit ng sariling device sa network na hindi konektado sa iyo.
home-safety-details = Ang mga detalyeng ikaw lang ang nakakaalam ay maaaring magpakilala sa iyo. Iwanang blangko ang contact para manatiling anonymous.
home-safety-code = Sinumang may hawak ng iyong code ay makakabasa ng iyong ulat at ng mga sagot dito. Huwag itong ibahagi at huwag itago kung saan makikita ng iba.
home-choose-title = Ano ang gusto mong ipadala?
home-status-title = May naipadala ka na ba?
home-status-link = Tingnan ang katayuan nito gamit ang iyong code

## Kinds of submission

kind-violation = Ulat ng paglabag o katiwalian
kind-violation-desc = Suhol, pang-aabuso sa tungkulin, pandaraya, palakasan o anumang ibang paglabag sa isang ahensya ng gobyerno.
kind-violation-body = Ano ang nangyari? Sabihin kung kailan at saan, sino ang sangkot, at paano mo ito nalaman.
kind-complaint = Reklamo
kind-complaint-desc = Problema sa serbisyong natanggap mo mula sa isang ahensya ng gobyerno.
kind-complaint-body = Ano ang iyong reklamo?
kind-suggestion = Mungkahi
kind-suggestion-desc = Isang ideya para mapabuti ang isang serbisyong pampubliko.
kind-suggestion-body = Ang iyong mungkahi
kind-compliment = Papuri
kind-compliment-desc = Papuri para sa isang kawani o serbisyong naging mabuti sa iyo.
kind-compliment-body = Ano ang gusto mong purihin?
kind-inquiry = Tanong
kind-inquiry-desc = Isang tanong tungkol sa isang serbisyo o proseso.
kind-inquiry-body = Ang iyong tanong
kind-service_evaluation = Pagsusuri ng serbisyo
kind-service_evaluation-desc = Bigyan ng marka ang pagbisita mo sa isang service center, isa-isang tanong ("mystery shopper").
kind-service_evaluation-body = Komento (opsyonal): aling serbisyo at opisina, at anumang hindi nasasabi ng mga marka

## The submission form

form-agency = Ahensya
form-agency-choose = Pumili ng ahensya
form-body-hint = Huwag isama ang iyong pangalan o mga detalyeng magpapakilala sa iyo maliban kung gusto mo. Hanggang { $max } na character.
form-contact = Contact (opsyonal)
form-contact-hint = Iwanang blangko para manatiling anonymous. Kung pupunan mo ito, makikita ito ng mga tagasuri.
form-files = Mga file ng ebidensiya (opsiyonal)
form-files-hint = Hanggang { $count } file, bawat isa hanggang { $file } MB, { $total } MB lahat-lahat sa isang ulat.
form-files-metadata = Maaaring may nakatagong detalye ang mga larawan at dokumento, gaya ng lokasyon, device o pangalan ng may-akda; alisin muna kung kaya mo. Binababalaan ang mga tagasuri tungkol sa natitira.
form-options = Mga opsyon
form-oversight = Ipadala lang sa oversight unit
form-oversight-hint = Piliin ito kung ang ulat ay tungkol sa mismong mga integrity officer o pinuno ng ahensya.
form-receipt = Gusto ko ng resibo ng pagsusumite
form-receipt-hint = Pinapatunayan ng resibo na ang eksaktong tekstong ito ay isinumite sa petsang ito. Babala: hawak ng mga tagasuri ng iyong ulat (ang mga integrity officer ng ahensya at ang oversight unit) ang teksto nito, kaya sa resibo pa lang ay malalaman nila kung aling ulat ang iyo, at sinumang makakita ng resibo kasama ng iyong teksto ay malalaman na ikaw ang nagsumite nito. Kung maaaring halughugin ang iyong telepono o mga papeles, itago ang resibo sa ibang lugar, o huwag humingi nito.
form-honeypot = Iwanang blangko ang field na ito
form-submit = Ipadala
form-again = Wala pang naipadala. Suriin ang isinulat mo sa ibaba, saka pindutin muli ang “Ipadala”.
form-again-kept = Nasa ibaba pa rin ang lahat ng isinulat mo: itama ang kailangan, saka pindutin muli ang “Ipadala”.
form-again-files = Hindi kailanman itinatago ang mga file: kung may pinili ka, piliin muli ang mga ito bago ipadala.
form-again-invalid = May bahagi ng iyong ipinadala na hindi matanggap. Walang naitago. Suriin ang form sa ibaba at ipadala itong muli.
form-ratings-title = Ang iyong mga marka
form-ratings-scale = 1 = napakasama, 5 = napakahusay. Piliin ang "hindi naaangkop" para sa hindi mo ginamit.
rating-na = Hindi naaangkop
form-place-title = Saan ka bumisita?
form-place-hint = Piliin ang ahensya at, kung kaya, ang service center: nakadepende rito ang mga tanong.
form-place-unknown = Hindi kabilang ang service center na ito sa napiling ahensya, kaya ang mga tanong sa ibaba ay para sa ahensya nang walang partikular na center. Para pangalanan ang center, piliin muli ang ahensya at center sa itaas.
form-place-show = Ipakita ang mga tanong
form-place-chosen = Sinusuri mo ang:
form-centre = Service center
form-centre-none = Walang partikular na center
form-compliment-centre-hint = Opsyonal. Iniimbak ang center nang hindi naka-encrypt para mabilang ang papuri bawat center; piliin ang "Walang partikular na center" kung maaaring ituro ka nito.
form-complaint-centre-hint = Isulat ang pangalan ng service center sa iyong teksto: naka-encrypt ang teksto, samantalang ang center na pinili mula sa listahan ay iimbak nang hindi naka-encrypt.

## The code page and its confirmation step

code-title = Naitago na. Ito ang iyong follow-up code
code-intro = Naka-encrypt na nakaimbak ang iyong ipinadala. Ang iyong follow-up code:
code-latin = Ang parehong code sa Latin na numero:
code-order = Basahin ang code mula kaliwa pakanan, simula sa pangkat 1: ipinapakita ng maliliit na numero sa itaas ng mga pangkat ang pagkakasunod.
code-keep-1 = Isulat ito ngayon, sa papel o sa ligtas na lugar. Isang beses lang itong ipapakita at hindi na mababawi.
code-keep-2 = Gamit ito, makikita mo ang katayuan, mababasa ang mga sagot at makakapagdagdag ng impormasyon. Magagawa rin ito ng sinumang may hawak nito.
code-keep-3 = Huwag mag-screenshot sa device na ginagamit ng iba o sa device ng trabaho.
receipt-title = Ang iyong resibo ng pagsusumite
receipt-intro = Kopyahin ang resibo at ang eksaktong teksto sa ibaba at ingatan ang mga ito. Magkasama nilang pinapatunayan na ang tekstong ito ay isinumite sa petsang ito. Walang kopya ng resibo ang server, pero mahahanap ng mga tagasuri ng iyong ulat ang ulat mo gamit ito: sinumang magpakita nito sa kanila ay maaaring malaman kung aling ulat ang iyo.
receipt-label = Resibo
receipt-text-label = Ang tekstong sakop ng resibo
confirm-title = Tiyaking naisulat mo ito
confirm-intro = I-type ang code mula sa iyong sulat, hindi mula sa screen. Naitago na ang iyong ipinadala gawin mo man ito o hindi.
confirm-label = I-type ang iyong code
confirm-submit = Suriin ang aking code
confirm-mismatch = Hindi tugma ang code na na-type mo. Ihambing ang iyong sulat sa code sa itaas, itama ito at subukang muli.
confirmed-title = Tama ang iyong sulat
confirmed-body = Naisulat mo nang tama ang code. Ilihim ito, at bumalik pagkalipas ng ilang araw para tingnan kung may sagot.

## Status by code

code-label = Follow-up code
code-hint = Hindi mahalaga ang mga espasyo at gitling. Maaari mong i-type ang mga numero bilang 0–9, ٠–٩ o ۰–۹.
status-form-title = Tingnan ang iyong ulat
status-form-intro = Ilagay ang iyong follow-up code para makita ang katayuan, mabasa ang mga sagot at makapagdagdag ng impormasyon.
status-form-submit = Suriin
status-title = Ang iyong ulat
status-kind = Uri
status-agency = Ahensya
status-status = Katayuan
status-received-on = Natanggap noong
status-ack-by = Dapat itong kilalanin ng ahensya bago ang
status-feedback-by = Dapat magbigay ng tugon ang ahensya bago ang
status-escalated = Lumampas ang isang takdang panahon, kaya ipinasa ang kaso sa oversight unit.
status-received = Natanggap
status-received-help = Nakaimbak ang iyong ipinadala at naghihintay na kilalanin ng ahensya.
status-acknowledged = Kinilala
status-acknowledged-help = Kinilala ng ahensya ang iyong ipinadala at susuriin ito.
status-in_review = Sinusuri
status-in_review-help = Sinusuri ng ahensya ang iyong ipinadala.
status-needs_info = Kailangan ng dagdag na impormasyon
status-needs_info-help = Kailangan ng mga tagasuri ng dagdag na impormasyon mula sa iyo. Basahin ang kanilang sagot sa ibaba at idagdag ang makakaya mo.
status-closed_action_taken = Sarado: may ginawang aksyon
status-closed_action_taken-help = Sarado na ang kaso at gumawa ng aksyon ang ahensya.
status-closed_unfounded = Sarado: hindi napatunayan
status-closed_unfounded-help = Sarado na ang kaso; hindi napatunayan ng mga tagasuri ang iniulat.
status-closed_referred = Sarado: ipinasa
status-closed_referred-help = Sarado na ang kaso at ipinasa ito sa ibang ahensyang may pananagutan.
status-closed = Sarado
status-closed-help = Sarado na ang kaso.
status-delete-after = Buburahin ang mga rekord nito pagkatapos ng
status-kept-longer = Mas matagal na itinatago ang mga rekord nito kaysa karaniwan; wala pang petsa ng pagbura.
status-purged = Isinara ang kasong ito at binura ang mga rekord nito noong { $date }.
messages-title = Mga mensahe
messages-none = Wala pang mensahe.
message-unreadable = Hindi maipakita ang isang mensahe.
message-reply = Sagot ng mga tagasuri
message-follow_up = Idinagdag mo
followup-title = Magdagdag ng impormasyon
followup-intro = Walang login, para sa iyong kaligtasan: i-type muli ang iyong code para makapagdagdag ng impormasyon.
followup-label = Ano ang gusto mong idagdag?
followup-submit = Ipadala
rating-title = Bigyan ng marka kung paano hinawakan ang iyong ulat
rating-intro = I-type muli ang iyong code, at pumili ng marka.
rating-legend = Ang iyong marka (1 = napakasama, 5 = napakahusay)
rating-submit = Ipadala ang marka
rating-given = Binigyan mo ng { $rating } sa 5 ang paghawak. Salamat.
closed-note = Sarado na ang kasong ito. Para mag-ulat ng bago, magpadala ng bagong ulat.
done-title = Tapos na
done-followup = Naidagdag ang iyong impormasyon sa iyong ulat.
done-rating = Salamat sa pagbibigay ng marka sa paghawak ng iyong ulat.
done-next = Tingnan muli ang katayuan

## Errors

error-title = Paumanhin
error-400 = May bahagi ng iyong ipinadala na hindi matanggap. Walang naitago. Suriin ang form at ipadala itong muli.
error-404 = Walang ganitong pahina.
error-code-404 = Walang ulat na tugma sa code na ito. Suriin ang mga numero at subukang muli.
error-code-typo = May mali sa pag-type ang code na ito: may maling numero o nagpalit ng puwesto ang dalawang numero. Ihambing ito sa iyong sulat at i-type itong muli.
error-405 = Hindi magagamit ang pahinang ito sa ganitong paraan.
error-408 = Masyadong natagalan ang kahilingan. Walang naitago; pakisubukang muli.
error-409 = Hindi ito magagawa ngayon: maaaring sarado na ang ulat, nabigyan na ng marka, o nagbago ito habang naghihintay. Walang naitago.
error-413 = Masyadong malaki ang iyong ipinadala. Walang naitago. Paikliin ang teksto, o magpadala ng mas kaunti o mas maliliit na file.
error-file-too-large = May file na mas malaki sa { $max } MB. Walang naitago. Magpadala ng mas maliit na file, o ipadala ang ulat nang wala ito.
error-files-total = Lampas sa { $max } MB ang mga file nang sama-sama para sa isang ulat. Walang naitago. Magpadala ng mas kaunti o mas maliliit na file.
error-files-count = Hanggang { $max } file lang ang maaaring kasama ng isang ulat. Walang naitago. Magpadala ng mas kaunting file.
error-files-quota = Hindi na makatanggap ng file ang serbisyo sa ngayon. Walang naitago. Ipadala ang ulat nang walang file, o subukang muli mamaya.
error-429 = Masyadong maraming kahilingan. Walang naitago. Maghintay nang kaunti at subukang muli.
error-500 = May nagkaproblema sa aming panig. Walang naitago; pakisubukang muli mamaya.
error-503 = Abala ang serbisyo. Walang naitago; subukang muli pagkalipas ng isang minuto.
error-home = Bumalik sa unang pahina
error-back = Gamitin ang Back button ng iyong browser para bumalik sa form: naroon pa ang iyong teksto. Ang contact field at mga file lang ang kailangang punan muli.
error-back-links = Nagbubukas ng bago at walang lamang pahina ang mga link sa ibaba: hindi roon naitatago ang iyong tinype.
error-back-case = Hindi naitago ang iyong tinype. Gamitin ang Back button ng iyong browser para bumalik sa iyong ulat (kung itanong ng browser kung ipapadala muli ang isang form, pumayag), saka i-type muli ang iyong code at teksto.

## Dates

date = { $month } { $day }, { $year }
month-1 = Enero
month-2 = Pebrero
month-3 = Marso
month-4 = Abril
month-5 = Mayo
month-6 = Hunyo
month-7 = Hulyo
month-8 = Agosto
month-9 = Setyembre
month-10 = Oktubre
month-11 = Nobyembre
month-12 = Disyembre

transparency-title = Mga bilang ng transparency
transparency-intro = Mga bilang na inilalathala ng yunit ng pangangasiwa para sa bawat panahon, hindi bababa sa 120 araw matapos ito, na nilagdaan ng susi nito. Hindi ipinapakita ang maliliit na bilang at binibilog ang iba, para walang bilang na tumuturo sa nag-ulat.
transparency-none = Wala pang nailalathalang bilang.
transparency-agency = Ahensya
transparency-received = Natanggap
transparency-on-time = Nakumpirma sa takdang oras
transparency-median-days = Panggitnang araw bago makumpirma
transparency-satisfaction = Kasiyahan
transparency-year = Taon
transparency-year-note = Ang kabuuan ng apat na nailathalang quarter ng taon. May lagda ng yunit ng pangangasiwa ang bawat quarter; kinukuwenta ang taon mula sa mga ito at hindi na kailangang lagdaan. Ang "+ 1×<5" ay nangangahulugang may isang quarter na wala pang 5, na hindi na pinapakitid ng taon. Tinitimbang ng taunang bilang ang nailathalang bilang ng bawat quarter ayon sa nailathalang dami nito (n).
transparency-download = I-download:
transparency-first-reply = Median na araw hanggang sa unang sagot
transparency-by-kind = Natanggap, ayon sa uri
transparency-evaluations = Marka ng pagtatasa ng serbisyo (1 hanggang 5)
transparency-centre = Sentro ng serbisyo
transparency-by = Mula sa
transparency-score = Marka
transparency-commissioned = Mga inatasang pagbisita
transparency-public = Mga rating ng publiko
transparency-ranking = Ranggo ayon sa marka ng inatasang pagtatasa
transparency-ranking-note = Ang pagtatasa lang ng mga bisitang inatasan ng yunit ng pangangasiwa ang niraranggo, hindi ang rating ng publiko, at kapag sapat lang ang nailathalang pagtatasa (n).
transparency-best-agencies = Pinakamahusay na ahensya
transparency-weakest-agencies = Pinakamahinang ahensya
transparency-best-centres = Pinakamahusay na sentro ng serbisyo
transparency-weakest-centres = Pinakamahinang sentro ng serbisyo
transparency-fastest = Pinakamabilis kumilala (median na araw)
transparency-rank-none = Hindi sapat ang nailathalang bilang para magranggo.
