# صفحات المبلّغين في «أمانة» — العربية (اللغة الأولى للنشر).
# الأرقام تصل مكتوبة بالأرقام العربية المشرقية؛ لا تُنسَّق مرة أخرى.

## Layout

site-name = أمانة
site-tagline = إبلاغ آمن عن الفساد، وصوتك في الخدمات العامة
skip-to-content = انتقل إلى المحتوى
languages = اللغة
demo-banner = وضع تجريبي — ليس للبلاغات الحقيقية. مفاتيح المراجِعين التجريبية محفوظة على هذا الخادم بلا حماية.
footer-privacy = لا ملفات تعريف ارتباط، ولا تتبّع، ولا موارد خارجية. لا يُحفظ عنوانك.
footer-check = تابِع بلاغًا برمزك

## Home

home-title = أبلِغ بأمان
home-intro = أبلِغ عن الفساد والمخالفات في الجهات العامة، أو أرسِل شكوى أو اقتراحًا أو شكرًا أو استفسارًا أو تقييمًا لخدمة — دون أن تذكر اسمك.
home-how-title = كيف يعمل
home-how-1 = اختر ما تريد إرساله، ثم الجهة المعنية.
home-how-2 = اكتب ما حدث. يُشفَّر النص قبل حفظه: لا يقرؤه إلا ضباط النزاهة في الجهة ووحدة الرقابة.
home-how-3 = تحصل على رمز متابعة. هو الطريقة الوحيدة لمتابعة بلاغك وقراءة الردود وإضافة معلومات. اكتبه واحتفظ به سرًّا: لا يمكن استرجاعه.
home-safety-title = حافِظ على سلامتك
home-safety-tor = لأفضل حماية استخدم متصفح Tor على إعداد «الأكثر أمانًا». يعمل هذا الموقع دون جافاسكربت.
home-safety-device = لا تستخدم حاسوب العمل أو هاتف العمل أو شبكة مكان عملك. استخدم جهازًا خاصًا على شبكة غير مرتبطة بك.
home-safety-details = التفاصيل التي لا يعرفها غيرك قد تكشف هويتك. اترك حقل التواصل فارغًا لتبقى مجهول الهوية.
home-safety-code = من يملك رمزك يستطيع قراءة بلاغك والردود عليه. لا تشاركه ولا تحفظه حيث يراه الآخرون.
home-choose-title = ماذا تريد أن ترسل؟
home-status-title = هل أرسلت شيئًا من قبل؟
home-status-link = تابِع حالته برمزك

## Kinds of submission

kind-violation = بلاغ عن مخالفة أو فساد
kind-violation-desc = رشوة، أو إساءة استعمال السلطة، أو احتيال، أو محسوبية، أو أي مخالفة أخرى في جهة عامة.
kind-violation-body = ماذا حدث؟ اذكر متى وأين، ومن شارك فيه، وكيف عرفت.
kind-complaint = شكوى
kind-complaint-desc = مشكلة في خدمة تلقيتها من جهة عامة.
kind-complaint-body = ما شكواك؟
kind-suggestion = اقتراح
kind-suggestion-desc = فكرة لتحسين خدمة عامة.
kind-suggestion-body = اقتراحك
kind-compliment = شكر وثناء
kind-compliment-desc = ثناء على موظف أو خدمة أحسنت معاملتك.
kind-compliment-body = ما الذي تودّ الثناء عليه؟
kind-inquiry = استفسار
kind-inquiry-desc = سؤال عن خدمة أو إجراء.
kind-inquiry-body = سؤالك
kind-service_evaluation = تقييم خدمة
kind-service_evaluation-desc = قيّم زيارتك لمركز خدمة وفق ثمانية معايير («المتسوّق الخفي»).
kind-service_evaluation-body = تعليق (اختياري): أي خدمة وأي مكتب، وما لا تقوله التقييمات

## The submission form

form-agency = الجهة
form-agency-choose = اختر جهة
form-body-hint = لا تذكر اسمك أو تفاصيل تكشف هويتك إلا إن أردت ذلك. { $max } حرف على الأكثر.
form-contact = وسيلة تواصل (اختياري)
form-contact-hint = اتركه فارغًا لتبقى مجهول الهوية. إن ملأته فسيراه المراجِعون.
form-options = خيارات
form-oversight = أرسِل إلى وحدة الرقابة فقط
form-oversight-hint = اختر هذا إن كان البلاغ يتعلق بضباط النزاهة في الجهة نفسها أو بقيادتها.
form-receipt = أريد إيصالًا يثبت تقديم البلاغ
form-receipt-hint = يثبت الإيصال أن هذا النص بعينه قُدِّم في هذا التاريخ. تنبيه: من يجد الإيصال مع نصّك يعرف أنك قدّمت هذا البلاغ. احفظهما في مكان آمن، أو لا تطلب الإيصال.
form-honeypot = اترك هذا الحقل فارغًا
form-submit = أرسِل
form-ratings-title = تقييماتك
form-ratings-scale = ١ = سيئ جدًا، ٥ = ممتاز. اختر «لا ينطبق» لما لم تستخدمه.
rating-na = لا ينطبق
criterion-access_location = سهولة الوصول والموقع
criterion-reception = الاستقبال
criterion-waiting_time = وقت الانتظار
criterion-procedures = بساطة الإجراءات
criterion-staff_behaviour = تعامل الموظفين
criterion-completion_time = مدة إنجاز الخدمة
criterion-payment_channels = قنوات الدفع
criterion-environment = بيئة تقديم الخدمة

## The code page and its confirmation step

code-title = تم الحفظ. هذا رمز المتابعة الخاص بك
code-intro = حُفظ ما أرسلته مشفّرًا. رمز المتابعة الخاص بك:
code-latin = الرمز نفسه بالأرقام اللاتينية:
code-keep-1 = اكتبه الآن على ورقة أو في مكان آمن. يُعرض مرة واحدة فقط ولا يمكن استرجاعه.
code-keep-2 = به تتابع الحالة وتقرأ الردود وتضيف معلومات. ومن يملكه يستطيع الشيء نفسه.
code-keep-3 = لا تلتقط صورة للشاشة على جهاز مشترك أو جهاز عمل.
receipt-title = إيصال إثبات تقديم البلاغ
receipt-intro = انسخ الإيصال والنص أدناه كما هو واحفظهما في مكان آمن. معًا يثبتان أن هذا النص قُدِّم في هذا التاريخ؛ ولا يستطيع الخادم ربط الإيصال ببلاغك.
receipt-label = الإيصال
receipt-text-label = النص الذي يغطيه الإيصال
confirm-title = تأكّد من أنك كتبته
confirm-intro = اكتب الرمز من ورقتك لا من الشاشة. ما أرسلته محفوظ سواء فعلت هذا أم لا.
confirm-label = اكتب رمزك
confirm-submit = تحقّق من رمزي
confirm-mismatch = الرمز الذي كتبته لا يطابق. قارن ورقتك بالرمز أعلاه، وصحّحه ثم حاول مرة أخرى.
confirmed-title = ما كتبته صحيح
confirmed-body = كتبت الرمز بشكل صحيح. احتفظ به سرًّا، وعُد بعد بضعة أيام لترى إن كان هناك رد.
honeypot-title = تم الاستلام
honeypot-body = شكرًا لك. تم استلام ما أرسلته.

## Status by code

code-label = رمز المتابعة
code-hint = لا تهم المسافات والشرطات؛ تُقبل الأرقام العربية واللاتينية.
status-form-title = تابِع بلاغك
status-form-intro = أدخل رمز المتابعة لترى الحالة وتقرأ الردود وتضيف معلومات.
status-form-submit = تحقّق
status-title = بلاغك
status-kind = النوع
status-agency = الجهة
status-status = الحالة
status-received-on = تاريخ الاستلام
status-ack-by = على الجهة أن تؤكد الاستلام قبل
status-feedback-by = على الجهة أن تقدّم ردًّا قبل
status-escalated = انقضت إحدى المُهل، فأُحيلت الحالة إلى وحدة الرقابة.
status-received = مُستلَم
status-received-help = ما أرسلته محفوظ وينتظر أن تؤكد الجهة استلامه.
status-acknowledged = تم تأكيد الاستلام
status-acknowledged-help = أكدت الجهة استلام ما أرسلته وستنظر فيه.
status-in_review = قيد المراجعة
status-in_review-help = تنظر الجهة فيما أرسلته.
status-needs_info = مطلوب مزيد من المعلومات
status-needs_info-help = يحتاج المراجِعون إلى مزيد من المعلومات منك. اقرأ ردّهم أدناه وأضِف ما تستطيع.
status-closed_action_taken = مُغلق: اتُّخذ إجراء
status-closed_action_taken-help = أُغلقت الحالة واتخذت الجهة إجراءً.
status-closed_unfounded = مُغلق: لم يثبت
status-closed_unfounded-help = أُغلقت الحالة؛ لم يتمكن المراجِعون من إثبات ما ورد في البلاغ.
status-closed_referred = مُغلق: أُحيل
status-closed_referred-help = أُغلقت الحالة وأُحيلت إلى جهة أخرى مختصة.
messages-title = الرسائل
messages-none = لا توجد رسائل بعد.
message-reply = رد من المراجِعين
message-follow_up = أضفتَ
followup-title = أضِف معلومات
followup-intro = لا يوجد تسجيل دخول حفاظًا على سلامتك: اكتب رمزك مرة أخرى لإضافة معلومات.
followup-label = ماذا تريد أن تضيف؟
followup-submit = أرسِل
rating-title = قيّم طريقة التعامل مع بلاغك
rating-intro = اكتب رمزك مرة أخرى، ثم اختر تقييمًا.
rating-legend = تقييمك (١ = سيئ جدًا، ٥ = ممتاز)
rating-submit = أرسِل التقييم
rating-given = قيّمت طريقة التعامل بـ { $rating } من ٥. شكرًا لك.
closed-note = هذه الحالة مغلقة. للإبلاغ عن أمر جديد أرسِل بلاغًا جديدًا.
done-title = تم
done-followup = أُضيفت معلوماتك إلى بلاغك.
done-rating = شكرًا لتقييمك طريقة التعامل مع بلاغك.
done-next = تابِع الحالة مرة أخرى

## Errors

error-title = عذرًا
error-400 = تعذّر قبول بعض ما أرسلته. ارجع وراجِع النموذج ثم حاول مرة أخرى. لم يُحفظ شيء.
error-404 = هذه الصفحة غير موجودة.
error-code-404 = لا يوجد بلاغ يطابق هذا الرمز. تحقّق من الأرقام وحاول مرة أخرى.
error-405 = لا يمكن استخدام هذه الصفحة بهذه الطريقة.
error-408 = استغرق الطلب وقتًا طويلًا. لم يُحفظ شيء؛ حاول مرة أخرى.
error-409 = لا يمكن تنفيذ هذا الآن: ربما أُغلق البلاغ، أو قُيِّم من قبل، أو تغيّر في الأثناء. لم يُحفظ شيء.
error-413 = ما أرسلته كبير جدًا. اختصر النص وحاول مرة أخرى. لم يُحفظ شيء.
error-429 = طلبات كثيرة جدًا. لم يُحفظ شيء. انتظر قليلًا ثم حاول مرة أخرى.
error-500 = حدث خطأ من جهتنا. لم يُحفظ شيء؛ حاول مرة أخرى لاحقًا.
error-503 = الخدمة مشغولة. لم يُحفظ شيء؛ حاول مرة أخرى بعد دقيقة.
error-home = العودة إلى الصفحة الأولى

## Dates

date = { $day } { $month } { $year }
month-1 = يناير
month-2 = فبراير
month-3 = مارس
month-4 = أبريل
month-5 = مايو
month-6 = يونيو
month-7 = يوليو
month-8 = أغسطس
month-9 = سبتمبر
month-10 = أكتوبر
month-11 = نوفمبر
month-12 = ديسمبر
