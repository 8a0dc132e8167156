# Amana reporter pages — English (the fallback language).
# Every key here must exist in every other language (unit test in src/i18n/tests.rs).
# Arguments arrive already written in the page's digits; do not format them again.

## Layout

site-name = Amana
site-tagline = Safe reporting of corruption, and your voice on public services
skip-to-content = Skip to content
languages = Language
demo-banner = DEMO MODE — not for real reports. The demo reviewer keys are stored unprotected on this server.
footer-privacy = No cookies, no tracking, no outside resources. Your address is not stored.
footer-check = Check a report with your code

## Home

home-title = Report safely
home-intro = Report corruption and violations in public bodies, or send a complaint, suggestion, compliment, inquiry or service evaluation — without giving your name.
home-how-title = How it works
home-how-1 = Choose what you want to send, then the agency it concerns.
home-how-2 = Write what happened. It is encrypted before it is stored: only the agency's integrity officers and the oversight unit can read it.
home-how-3 = You get a follow-up code. It is the only way to check your report, read replies and add information. Write it down and keep it private: it cannot be recovered.
home-safety-title = Stay safe
home-safety-tor = For the best protection use Tor Browser at its "Safest" setting. This site works without JavaScript.
home-safety-device = Do not use a work computer, a work phone or your workplace's network. Use a private device on a network not linked to you.
home-safety-details = Details that only you could know may identify you. Leave the contact field empty to stay anonymous.
home-safety-code = Anyone who has your code can read your report and its replies. Do not share it or keep it where others can see it.
home-choose-title = What would you like to send?
home-status-title = Already sent something?
home-status-link = Check its status with your code

## Kinds of submission

kind-violation = Violation or corruption report
kind-violation-desc = Bribery, abuse of office, fraud, favouritism or any other violation in a public body.
kind-violation-body = What happened? Say when and where, who was involved, and how you know.
kind-complaint = Complaint
kind-complaint-desc = A problem with a service you received from a public body.
kind-complaint-body = What is your complaint?
kind-suggestion = Suggestion
kind-suggestion-desc = An idea to improve a public service.
kind-suggestion-body = Your suggestion
kind-compliment = Compliment
kind-compliment-desc = Praise for an employee or a service that treated you well.
kind-compliment-body = What would you like to praise?
kind-inquiry = Inquiry
kind-inquiry-desc = A question about a service or a procedure.
kind-inquiry-body = Your question
kind-service_evaluation = Service evaluation
kind-service_evaluation-desc = Rate a visit to a service centre, question by question ("mystery shopper").
kind-service_evaluation-body = Comment (optional): which service and office, and anything the ratings do not say

## The submission form

form-agency = Agency
form-agency-choose = Choose an agency
form-body-hint = Do not include your name or details that identify you unless you want to. At most { $max } characters.
form-contact = Contact (optional)
form-contact-hint = Leave empty to stay anonymous. If you fill it in, the reviewers will see it.
form-files = Evidence files (optional)
form-files-hint = Up to { $count } files, each up to { $file } MB, { $total } MB in all for one report.
form-files-metadata = Photos and documents can carry hidden details such as location, device or author name; remove them first if you can. Reviewers are warned about what remains.
form-options = Options
form-oversight = Send to the oversight unit only
form-oversight-hint = Choose this if the report concerns the agency's own integrity officers or leaders.
form-receipt = I want a proof-of-filing receipt
form-receipt-hint = The receipt proves that this exact text was filed on this date. Warning: the reviewers of your report (the agency's integrity officers and the oversight unit) hold its text, so the receipt alone lets them tell which report is yours, and anyone who finds the receipt together with your text learns that you filed it. If your phone or papers may be searched, keep the receipt elsewhere, or do not ask for one.
form-honeypot = Leave this field empty
form-submit = Send
form-again = Nothing was sent yet. Check what you wrote below, then press “Send” again.
form-again-kept = Everything you wrote is still below: correct what is needed, then press “Send” again.
form-again-files = Files are never kept: if you chose any, choose them again before you send.
form-again-invalid = Some of what you sent could not be accepted. Nothing was saved. Check the form below and send it again.
form-ratings-title = Your ratings
form-ratings-scale = 1 = very poor, 5 = excellent. Choose "did not apply" for what you did not use.
rating-na = Did not apply
form-place-title = Where was your visit?
form-place-hint = Choose the agency and, if you can, the service centre: the questions depend on them.
form-place-unknown = That service centre is not one of the chosen agency's, so the questions below are for the agency with no particular centre. To name a centre, choose the agency and centre again above.
form-place-show = Show the questions
form-place-chosen = You are evaluating:
form-centre = Service centre
form-centre-none = No particular centre
form-compliment-centre-hint = Optional. The centre is stored unencrypted so that praise can be counted per centre; choose "No particular centre" if naming it could point at you.
form-complaint-centre-hint = Name the service centre in your text: the text is encrypted, while a centre chosen from a list would be stored unencrypted.

## The code page and its confirmation step

code-title = Saved. Here is your follow-up code
code-intro = Your submission is stored, encrypted. Your follow-up code:
code-latin = The same code in Latin digits:
code-order = Read the code from left to right, starting with group 1: the small numbers above the groups show the order.
code-keep-1 = Write it down now, on paper or somewhere safe. It is shown only once and cannot be recovered.
code-keep-2 = With it you can check the status, read replies and add information. Anyone who has it can do the same.
code-keep-3 = Do not take a screenshot on a shared or work device.
receipt-title = Your proof-of-filing receipt
receipt-intro = Copy the receipt and the exact text below and keep them safe. Together they prove that this text was filed on this date. The server keeps no copy of the receipt, but the reviewers of your report can find your report from it: whoever shows it to them can learn which report is yours.
receipt-label = Receipt
receipt-text-label = The text the receipt covers
confirm-title = Check that you wrote it down
confirm-intro = Type the code from your note, not from the screen. Your submission is already saved whether or not you do this.
confirm-label = Type your code
confirm-submit = Check my code
confirm-mismatch = The code you typed does not match. Compare your note with the code above, correct it and try again.
confirmed-title = Your note is correct
confirmed-body = You wrote the code down correctly. Keep it private, and come back in a few days to check for a reply.

## Status by code

code-label = Follow-up code
code-hint = Spaces and dashes do not matter. You can type the digits as 0–9, ٠–٩ or ۰–۹.
status-form-title = Check your report
status-form-intro = Enter your follow-up code to see the status, read replies and add information.
status-form-submit = Check
status-title = Your report
status-kind = Kind
status-agency = Agency
status-status = Status
status-received-on = Received on
status-ack-by = The agency should acknowledge it by
status-feedback-by = The agency should give feedback by
status-escalated = A deadline passed, so the case went to the oversight unit.
status-received = Received
status-received-help = Your submission is stored and waiting for the agency to acknowledge it.
status-acknowledged = Acknowledged
status-acknowledged-help = The agency has acknowledged your submission and will look into it.
status-in_review = In review
status-in_review-help = The agency is looking into your submission.
status-needs_info = More information needed
status-needs_info-help = The reviewers need more information from you. Read their reply below and add what you can.
status-closed_action_taken = Closed: action taken
status-closed_action_taken-help = The case is closed and the agency took action.
status-closed_unfounded = Closed: not confirmed
status-closed_unfounded-help = The case is closed; the reviewers could not confirm what was reported.
status-closed_referred = Closed: referred
status-closed_referred-help = The case is closed and was passed to another body that is responsible for it.
status-closed = Closed
status-closed-help = The case is closed.
status-delete-after = Its records will be deleted after
status-kept-longer = Its records are kept longer than usual; no deletion date is set yet.
status-purged = This case was closed and its records were deleted on { $date }.
messages-title = Messages
messages-none = No messages yet.
message-unreadable = One message could not be shown.
message-reply = Reply from the reviewers
message-follow_up = You added
followup-title = Add information
followup-intro = There is no login, for your safety: type your code again to add information.
followup-label = What would you like to add?
followup-submit = Send
rating-title = Rate how your report was handled
rating-intro = Type your code again, then choose a rating.
rating-legend = Your rating (1 = very poor, 5 = excellent)
rating-submit = Send rating
rating-given = You rated the handling { $rating } of 5. Thank you.
closed-note = This case is closed. To report something new, send a new report.
done-title = Done
done-followup = Your information was added to your report.
done-rating = Thank you for rating how your report was handled.
done-next = Check the status again

## Errors

error-title = Sorry
error-400 = Some of what you sent could not be accepted. Nothing was saved. Check the form and send it again.
error-404 = This page does not exist.
error-code-404 = No report matches this code. Check the digits and try again.
error-code-typo = This code has a typing mistake: a digit is wrong or two digits are swapped. Compare it with your note and type it again.
error-405 = This page cannot be used that way.
error-408 = The request took too long. Nothing was saved; please try again.
error-409 = This cannot be done now: the report may be closed, already rated, or it changed meanwhile. Nothing was saved.
error-413 = What you sent is too large. Nothing was saved. Shorten the text, or send fewer or smaller files.
error-file-too-large = A file is larger than { $max } MB. Nothing was saved. Send a smaller file, or send the report without it.
error-files-total = The files together are larger than { $max } MB for one report. Nothing was saved. Send fewer or smaller files.
error-files-count = A report can have at most { $max } files. Nothing was saved. Send fewer files.
error-files-quota = The service cannot take more files right now. Nothing was saved. Send the report without files, or try again later.
error-429 = Too many requests. Nothing was saved. Please wait a little and try again.
error-500 = Something went wrong on our side. Nothing was saved; please try again later.
error-503 = The service is busy. Nothing was saved; please try again in a minute.
error-home = Back to the start page
error-back = Use your browser's Back button to return to the form: your text is still in it. Only the contact field and any files need filling in again.
error-back-links = The links below open new, empty pages: what you typed is not kept there.
error-back-case = What you typed could not be kept. Use your browser's Back button to return to your case (if the browser asks whether to send a form again, agree), then type your code and your text again.

## Dates

date = { $day } { $month } { $year }
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

transparency-title = Transparency figures
transparency-intro = Figures the oversight unit publishes for each period, at least 120 days after it ends, signed with its key. Small counts are not shown and other counts are rounded, so that no figure can point at a reporter.
transparency-none = No figures have been published yet.
transparency-agency = Agency
transparency-received = Received
transparency-on-time = Acknowledged on time
transparency-median-days = Median days to acknowledge
transparency-satisfaction = Satisfaction
transparency-year = Year
transparency-year-note = The sums of the year's four published quarters. Each quarter carries the oversight unit's signature; the year is computed from them and needs none. "+ 1×<5" means one quarter had fewer than 5, which the year does not narrow down. Yearly figures weight each quarter's published figure by its published number (n).
transparency-download = Download:
transparency-first-reply = Median days to first reply
transparency-by-kind = Received, by kind
transparency-evaluations = Service evaluation scores (1 to 5)
transparency-centre = Service centre
transparency-by = By
transparency-score = Score
transparency-commissioned = Commissioned visits
transparency-public = Public ratings
transparency-ranking = Ranking by commissioned evaluation score
transparency-ranking-note = Only evaluations by visitors the oversight unit commissioned rank, never public ratings, and only with enough published evaluations (n).
transparency-best-agencies = Best agencies
transparency-weakest-agencies = Weakest agencies
transparency-best-centres = Best service centres
transparency-weakest-centres = Weakest service centres
transparency-fastest = Fastest to acknowledge (median days)
transparency-rank-none = Not enough published figures to rank.
