/**
 * The triage's rule table (data, not logic: src/desk/triage/rules.ts applies it): the incident concepts and the
 * rules per ticket type, each a pattern with its weight. Hiragana is folded to katakana.
 */
import type { TicketType } from '../../domain/ticket.ts';
import { ALERT_CONTEXT, DEPOSIT, foldKana, HYPOTHETICAL, INCIDENT_WEIGHT, near, PHISH_CONTEXT, re, SECURITY_OBJECT, TWOFA, W, WITHDRAW } from './lexicon.ts';

// ---------------------------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------------------------

export interface Rule {
  id: string;
  type: TicketType;
  weight: number;
  re: RegExp;
  /** The same pattern with the g flag, to look past an occurrence that does not count. */
  all: RegExp;
  /** The rule only counts when this (each of these) also occurs somewhere in the text. */
  needs?: RegExp | RegExp[];
  /** The rule does not count when this occurs anywhere in the text. */
  unless?: RegExp;
}

export function rule(id: string, type: TicketType, weight: number, source: string, needs?: RegExp | RegExp[], unless?: RegExp): Rule {
  const folded = foldKana(source);
  const r: Rule = { id, type, weight, re: new RegExp(folded), all: new RegExp(folded, 'g') };
  if (needs) r.needs = needs;
  if (unless) r.unless = unless;
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Incident concepts. The incident detector below combines these small lexicons ("an unknown X", "X happened and
// the user did nothing", "someone else did X", "a scammer asked and the user gave Y"...) rather than listing whole
// sentences, so that new phrasings of the same situation are still caught. Hiragana is folded to katakana.
// ---------------------------------------------------------------------------------------------------------------


/** Casual and polite "did it (and regret it)" endings after a verb stem in the te-form. */
const DONE = String.raw`(?:てしま|でしま|ちゃ|ちま|じゃっ|ました|た(?![いくめ])|だ(?![いくめ]))`;
/** A passive that happened (not 「されていない」). */
const PASSIVE_DONE = String.raw`(?:て(?!(?:い|お)?(?:ない|ません|な))|た(?![いくめ])|まし)`;
/** What the user holds: a balance, coins, the wallet. */
const C_HOLDINGS = String.raw`残高|資産|コイン|通貨|仮想通貨|暗号資産|ウォレット|中身|保有(?:して(?:い)?た)?(?:分|資産|通貨|コイン)?|預け(?:て(?:い)?た)?(?:資産|お金|分)|お金|日本円|ビットコイン|イーサ|リップル|(?<![a-z])(?:btc|eth|xrp|ltc|usdt|usdc|bch|sol|doge|jpy|xlm)\b|\bbalances?\b|\bfunds\b|\bmoney\b|\bcoins\b|\bcrypto\b|\bassets\b|\bholdings\b|\bsavings\b|\bwallet\b|\bportfolio\b`;
/** ... has vanished. */
const C_VANISHED = String.raw`ゼロ(?!に(?:し|す))|(?<=(?:残高|balance)(?:が|は|も|:)?\s?)0(?![\d.,%]|\s?(?:円|jpy)?\s?(?:から|以上|以下))|(?<!(?:手数料|取得価額|取得単価|取得価格|取得原価|原価|費用|送料|料金|\bfees?)(?:が|は|も|:)?\s?)\b0円|0に(?:な|減)|空っぽ|からっぽ|カラッポ|空に(?:な|され)|消え(?:て|た|ま)|消失|(?:なく|無く|失く)なっ|9割|ほぼ(?:全部|すべて|ゼロ)|\bgone\b(?! up| down| through)|\b(?:is|are|at|to|now|shows?|showing|went to) (?:0(?![.,]\d)|zero)\b|\bempty\b|\bemptied\b|\bdrained\b|\bwiped\b|\bdisappeared\b|\bvanished\b|\bshow(?:s|ing)? (?:0(?![.,]\d)|zero|nothing)\b|\bnothing left\b|\bmissing from\b`;
/** A deposit that has not arrived yet: a zero balance is then a trading question, not a theft. */
const C_PENDING_DEPOSIT = String.raw`(?:${DEPOSIT})${W(40)}(?:まだ|のまま|反映|\bstill\b|\byet\b|credited|reflected)`;
/** A transfer still on its way: "the receiving wallet shows nothing" is then a trading question. */
const C_IN_FLIGHT = String.raw`${C_PENDING_DEPOSIT}|\bconfirmations?\b|\b(?:block ?chain|block) explorer\b|承認数|エクスプローラ|(?:${DEPOSIT})(?:の)?(?:方法|やり方|手順|したい|しようと)|\bhow (?:do|can|to) (?:i )?deposit\b|\bwant to deposit\b|(?:${WITHDRAW}|送っ|\bsent\b|\btransfer)${W(60)}(?:txid|\btx\b|completed|完了|まだ|\bstill\b|\byet\b|\bafter \d|届(?:い)?て(?:い)?(?:ない|ません)|着金して|未着|\barriv|\breceiv)`;
/** The user says they did nothing / it was not them. */
const C_NO_AGENCY = String.raw`何も(?:して|やって|触って|さわって|いじって|操作して)(?:い|お)?(?:ない|ません|なかった|ねー|ねえ)|(?:触って|さわって|いじって|操作して)(?:い|お)?(?:ない|ません|なかった)(?!か)|(?:した|やった|行った|頼んだ|注文した|出金した|送金した|ログインした|申請した|変更した|送った|出した|売った|買った|承認した|登録した|作った|作成した|許可した|押した)(?:記憶|覚え|おぼえ)(?:が|は|も)?(?:全く|一切|まったく)?(?:ない|無い|ありません|ないです|ございません)|記憶に(?:ない|無い|ありません|ございません)|そんな(?:操作|こと|注文|出金|送金|申請|変更|の)?(?:は|を)?(?:して|やって|頼んで|した覚えは)(?:い|お)?(?:ない|ません)|(?:私|自分|本人|僕|俺)(?:じゃ|では|で)(?:ない|ありません|ないです|はない)|\bhaven'?t (?:touched|done anything(?! wrong)|used it)\b|\bdidn'?t (?:touch|do anything(?! wrong))\b|\bnever (?:touched|did anything(?! wrong))\b|\bi (?:don'?t|do not|can'?t|cannot) remember (?:placing|making|doing|authori[sz]ing|sending|selling|buying|ordering|approving)\b|(?:やった|した|出した|注文した|頼んだ)(?:こと|覚え)の(?:ない|無い)|\bwasn'?t me\b|\bnot me\b|\bnot mine\b|\bnone (?:of (?:them|these|which|those) )?(?:(?:is|are|was|were) )?(?:from|by|mine|me)\b|\bnot from me\b|\bi (?:definitely |certainly |absolutely |really |surely )?(?:didn'?t|did not|never did)(?=\s*(?:[.!?,]|$))|\bi (?:did ?n[o']?t|never) (?:ask|apply|sign up|register|consent)\b|そんな${W(6)}(?:して|やって|頼んで|申し込んで)(?:い|お)?(?:ない|ません)|\b(?:is|are|was|were)(?:n'?t| not) (?:mine|ours|me)\b|(?:私|自分)の(?:もの)?(?:じゃ|では)(?:ない|ありません)|\b(?:even though|although|but|when|while) i (?:was|am|wasn'?t|was not|'m not|am not) (?:not )?(?:logging|trying to log|signing|using)|ログインしようとして(?:い)?(?:ない|ません)|\bi (?:did ?n[o']?t|never) (?:do|make|request|authori[sz]e|approve|place|initiate|send|trade|sell|buy|add|reset|enable|disable|log ?in|sign ?in)\b|\bwithout my (?:permission|consent|knowledge|authori[sz]ation|approval)\b|\bwithout (?:asking|telling)(?: me)?\b|\bnobody else (?:has (?:access|my|the (?:password|code|key))|knows)\b|申し込んで(?:い)?(?:ない|ません)|申請して(?:い)?(?:ない|ません)|手続き(?:を)?して(?:い)?(?:ない|ません)`;
/** Something happened to the account: money moved, someone logged in, a setting changed, coins vanished. */
const C_ACCOUNT_EVENT = String.raw`(?:変更|出金|送金|ログイン|再設定|リセット|登録|追加|解除|再発行)(?:の|を)?(?:通知|お知らせ|メール|完了|受付|受け付け)|\bsim\b|\bmnp\b|送金|引き出|売却|売られ|売って|買われ|購入され|約定|注文|移され|送られ|抜かれ|ログインされ|ログイン(?:通知|履歴|が(?:あ))|アクセスされ|アクセス(?:履歴|の形跡)|変更され|変えられ|解除され|追加され|なくなっ|消え|ゼロ|空っぽ|\bwithdr|\btransfer|\bsent\b|\bsold\b|\bbought\b|\btrades?\b|\borders?\b|\bmoved\b|\blog(?:g)?ed in\b|\blogins?\b|\bsign-?ins?\b|\bchanged\b|\breset\b|\bremoved\b|\badded\b|\bdisabled\b|\bgone\b|\bdrained\b|\bbalance\b|\bzero\b`;
/** Another person: an ex-partner, a stranger, a hacker. */
const C_OTHER_PERSON = String.raw`元(?:夫|妻|彼|カレ|カノ|彼女|旦那|嫁|パートナー|恋人|交際相手)|別れた(?:夫|妻|彼|彼女|恋人|相手)|ストーカー|ハッカー|犯人|(?:第三者|他人|誰か|知らない人|見知らぬ人|何者か|だれか)(?:が|に|によって|から)|\bmy ex\b|\bex-?(?:husband|wife|boyfriend|girlfriend|partner)\b|\bsomeone(?: else)?\b|\bsomebody(?: else)?\b|\bhackers?\b|\battackers?\b|\bscammers?\b|\bthie(?:f|ves)\b|\ba stranger\b`;
/** ... acting on the user's account. */
const C_THEIR_ACTION = String.raw`ログイン|アクセス|操作し|操作され|使って|使われ|入って|入られ|出金|送金|引き出|売って|売られ|売却|買って|買われ|取引して|変更|知って(?:い)?る|知られ|\blog(?:g)?(?:ed|s|ing)? ?in(?:to)?\b|\bloged\b|\baccess(?:ed|ing)?\b|\bknows? my\b|\bha(?:s|ve|d) my\b|\bus(?:ed|es|ing) my\b|\bwithdr|\btransferr?(?:ed|ing)\b|\bsold\b|\bselling\b|\bbought\b|\bbuying\b|\btrading\b|\bplac(?:ed|ing)\b|\bmaking trades\b|\bsent (?:my|all|\d)|\bmoved\b|\bchanged\b|\breset\b|\bstole\b|\btook\b|\bdrained\b|\bemptied\b|\bgot into\b|\bin my account\b|\bhas access\b|\bhijack|\bcloned\b|\bported\b|\bswapped\b|\bhacked\b|\bbroke into\b`;
/** Signs of a scam or an impersonator: who the user was dealing with. */
const C_SCAM = String.raw`(?:コード|パスワード|番号|情報|秘密鍵|シード)(?:の入力)?を(?:求め|要求|聞い|聞かれ|尋ね|教えて)|\basking (?:me )?for (?:my|the|a|your) (?:code|password|2fa|seed|private key|otp)|変な(?:サイト|アプリ|リンク|メール|url|sms|ページ)|\b(?:weird|strange|shady|sketchy|random|unknown) (?:site|link|app|page|website|dapp|url)s?\b|\bchatting with\b|\bmet (?:online|on (?:a |an )?(?:app|site|instagram|facebook|tinder|line))|\bonline (?:friend|girlfriend|boyfriend)\b|\bhelped me (?:'|\")?invest|\bbitbank[a-z0-9-]*\.(?!cc\b)[a-z]{2,}\b|\bbitbank\.cc\.[a-z]|(?<![\w-])[\w]{1,20}-looking\b|\blooked like (?:it was )?from\b|(?:っぽい|らしき|そっくりな?)(?:アカウント|アプリ|サイト|メール|sms|url|ページ|人|dm|リンク|画面)|\b(?:convinced|persuaded|pressured|talked) me\b|\bunlock (?:my |the )?(?:bonus|funds|account|withdrawal)|\bwants? (?:more|another)\b|\brecovery (?:fee|service|agent)\b|\b(?:exchange|recovery|crypto|investment|account|refund) agents?\b|(?:ため|確認|認証|保護|解除)(?:のため)?(?:に|と)(?:言われ|頼まれ|求められ)|言われるがまま|指示(?:され|に従|通り)|勧められ|誘われ|持ちかけ|儲か|(?:手数料|税金|保証金)が必要|副業|貸すだけ|報酬|\bsafe (?:wallet|account|address)\b|安全な(?:ウォレット|口座|アドレス)|保護(?:用の?)?(?:ウォレット|口座|アドレス)|\bunder attack\b|\b(?:phone )?call(?:ed)? from\b|\bcalled me\b|電話(?:が|で)|不審|怪しい|怪しげ|\bsuspicious\b|\bsketchy\b|\bshady\b|詐欺|騙され|だまされ|騙し|名乗る|名乗っ|を名乗|と名乗|だという人|だと言う人|と称する|称して|を装|なりすまし|成りすまし|偽|ニセ|にせもの|っぽい(?:アプリ|サイト|メール|sms|url|ページ)|公式(?:じゃ|では)な|公式(?:っぽい|風|を装)|本物(?:じゃ|では)な|フィッシング|投資(?:グループ|サークル|案件|話|の先生|セミナー|サイト|アプリ)|マッチングアプリ|出会い系|で知り合|知り合った|先生|アシスタント|必ず(?:儲か|増え)|元本保証|高配当|ロマンス|本人確認センター|サポートセンター|セキュリティ(?:センター|チーム|部門)|\bscam|\bfraud|\bfake\b|\bphish|\bclaim(?:ing|ed) to be\b|\bpretend|\bimpersonat|\bposing as\b|\bsaid (?:he|she|they) (?:was|were|are|is)\b|\bwho said\b|\bdating\b|\bmet (?:someone|a (?:guy|man|woman|girl|lady|person)|him|her)\b|\btelegram\b|\bwhatsapp\b|\binvestment (?:group|platform|site|app|opportunity|mentor|coach|scheme|program)\b|\bturned out to be (?:fake|a scam|fraud|phishing|bogus|not)|(?:偽物|偽|詐欺|フィッシング)(?:だった|でした)|\bnot (?:the )?(?:official|real)\b|\bsupport chat\b|\bairdrop\b|\bgiveaway\b|\bmentor\b|\bguaranteed (?:returns?|profits?)\b`;
/** What a victim hands over. */
const C_VALUABLE = String.raw`パスワード|暗証番号|認証コード|確認コード|ワンタイム|コード|番号|秘密鍵|シード|復元フレーズ|\bid\b|ログイン情報|アカウント情報|個人情報|カード情報|免許証|身分証|マイナンバー|apiキー|二段階認証|2段階認証|2fa|sms|btc|eth|xrp|usdt|usdc|ビットコイン|イーサ|リップル|仮想通貨|暗号資産|コイン|通貨|お金|円|資金|全額|アドレス|サイト|アプリ|画面|リンク|url|qrコード`;
/** ...and the handing over, by the user, in the past. */
const C_GAVE_JA = String.raw`(?:${C_VALUABLE})${W(30)}(?:教え|伝え|入力し|入れ|打ち込ん|送っ|送り|送信し|送金し|振り込ん|振込し|渡し|見せ|共有し|承認し|許可し|読み上げ|答え|登録し|貼り付け|スキャンし|入金し|開い|押し|クリックし|タップし)${DONE}|(?:送金|振込|振り込み|入金|ログイン|サインイン|インストール|ダウンロード|接続)(?:を)?し${DONE}|(?:リンク|url|メール|sms|サイト|アプリ)${W(20)}(?:ログイン|サインイン|入力)(?:し)?${DONE}`;
const C_GAVE_EN = String.raw`(?:\b(?:i|i'?ve|i'?d|we|we'?ve|she|he|mom|mum|mother|dad|father|wife|husband)\b(?:\s[\w'-]+){0,3}?|(?:^|[,;]|\band(?: then)?\b|\bthen\b))\s?(?:entered|typed|moved|invested|wired|put|gave(?! up)|told (?:them|him|her|the \w+) (?:my|the|our)|sent|transferred|installed|shared|read (?:them|him|her|out)|approved|clicked|tapped|logged in|signed in|connected|submitted|provided|handed|downloaded|paid|deposited|scanned|signed|input|allowed|let (?:him|her|them)|did (?:it|that|as)|followed)\b(?! (?:you|me|us|it to you|them to you|the (?:link|url|screenshot|email|mail) to you)\b)`;
/** Secrets nobody legitimate ever asks for. */
const C_SECRET = String.raw`パスワード|暗証番号|認証コード|確認コード|ワンタイム(?:パスワード)?|秘密の質問|秘密鍵|シード(?:フレーズ)?|復元フレーズ|リカバリーフレーズ|apiキー|シークレットキー|ログイン情報|(?:sms|2fa|認証|確認|6桁|六桁|ログイン)(?:の)?(?:コード|番号)|\bpasswords?\b|\bpasscodes?\b|\bpin\b|\botp\b|\bseed(?: phrase)?\b|\brecovery phrase\b|\bprivate key\b|\bapi (?:key|secret)s?\b|\blogin (?:details|info|credentials)\b|\bcredentials\b|\b(?:sms|2fa|verification|login|security|one-time|6-digit|six-digit|auth(?:entication)?) codes?\b|\bthe code\b`;
/** ...handed to a person (not typed into a site, which is normal on the real site). */
const C_HANDED = String.raw`(?:${C_SECRET})(?:を|も|と|の答え(?:を|と))?${W(20)}(?:教え|おしえ|伝え|つたえ|送っ|おくっ|送り|送信し|渡し|読み上げ|答え|共有し|言っ|見せ|みせ)${DONE}|(?:教え|伝え|渡し|読み上げ)${DONE}${W(4)}(?:${C_SECRET})|\b(?:i|i'?ve|i'?d|we|she|he|mom|mum|mother|dad|father)\b(?:\s[\w'-]+){0,3}?\s(?:gave|told|sent|shared|read|handed|forwarded|texted|emailed|dm'?e?d)\b${W(30)}(?:${C_SECRET})(?!\s(?:is|isn'?t|was|wasn'?t|doesn'?t|didn'?t|won'?t|reset|change|expired|did not|does not|request)\b)`;
/** Reset / confirmation mails are sent and awaited, not handed over. */
const C_RESET_MAIL = String.raw`(?:再設定|リセット|確認|認証|登録)(?:用の|の)?(?:メール|リンク)|\b(?:password )?reset (?:e-?mail|link|request)|\b(?:confirmation|verification|activation) (?:e-?mail|link)`;
/** The account or device was exposed to someone else. */
const C_EXPOSED = String.raw`ログアウト(?:し)?忘れ|共用(?:の)?(?:pc|パソコン|端末)|共有(?:の)?(?:pc|パソコン)|ネットカフェ|漫画喫茶|まんが喫茶|フリーwi-?fi|公衆wi-?fi|(?:スマホ|pc|パソコン|端末|携帯)(?:を)?${W(8)}(?:貸し|貸した|貸して)|\bforgot to log ?out\b|\b(?:public|shared|hotel|library|internet cafe|airport) (?:computer|pc|laptop|wi-?fi)\b|\bborrowed my\b|\blent (?:my|him|her|them)\b|\bleft (?:myself |it )?logged in\b`;
/** ...and something appeared or moved afterwards. */
const C_APPEARED = String.raw`増えて|増えた|並んで|送られ|引き出され|売られ|買われ|出金され|送金され|減って|減った|\bmissing\b|\bgone\b|\bnew (?:orders?|trades?|withdrawals?)\b|\b(?:orders?|trades?|withdrawals?|transfers?) (?:i|that i) (?:didn'?t|did not|never)\b|\bsomeone\b`;
/** Passive on the user's holdings: someone else moved them. */
const C_HOLDINGS_MOVED = String.raw`(?:${C_HOLDINGS})${W(20)}(?:送られ|移され|引き出され|抜かれ|売られ|出金され|送金され|使われ|盗られ|持って行かれ|持っていかれ)(?!たい|ない|ません|へん|て(?:い)?(?:ない|ません|こない|きません))|\b(?:${C_HOLDINGS})\b${W(15)}\b(?:was|were|got|has been|have been) (?:all )?(?:sent|moved|withdrawn|transferred|sold|taken|swept|stolen)\b(?! by me\b)`;
/** "I had 300k yen this morning" / "only a few yen left". */
const C_HAD_BEFORE = String.raw`(?:昨日|今朝|朝|さっき|先ほど|先週|昨夜|前)(?:まで|は)${W(20)}(?:${C_HOLDINGS}|\d)${W(15)}(?:あった|有った|持って(?:い)?た|入って(?:い)?た)(?:のに|はず|けど|んですが)|\bi had (?:about |around |over |almost |roughly |nearly |like )?[\d¥$][\d,.]*\s?(?:k|m|man|万)?\b${W(40)}\b(?:this morning|yesterday|last night|an hour ago|earlier today|before)\b|\bonly (?:a few|a couple(?: of)?|\d+) (?:yen|cents|dollars|satoshis?)\b|数円|数十円|数百円しか|わずかしか|ほとんど(?:残って(?:い)?(?:ない|ません)|なくな)|\balmost (?:nothing|zero|empty)\b|\bpractically (?:nothing|zero)\b`;

/** Where the user sees which devices are signed in... */
const C_SESSION_LIST = String.raw`セッション(?:一覧|履歴)?|ログイン(?:履歴|中の端末|端末)|端末一覧|デバイス一覧|接続(?:履歴|端末)|\bactive sessions?\b|\bsessions? list\b|\bdevice (?:list|history)\b|\blogin history\b|\blogged[- ]in devices\b|\bsign-?in history\b|\bsessions?\b`;
/** ...and a device or platform named there. */
const C_DEVICE_NAME = String.raw`\b(?:linux|windows|win ?10|win ?11|ubuntu|macos|mac|iphone|ipad|android|chrome ?os|chrome|firefox|safari|edge|opera|playstation|ps[45]|xbox|huawei|xiaomi|samsung)\b|リナックス|ウィンドウズ|ゲーム機`;
/** "Freeze my account" and money going out. */
const C_FREEZE = String.raw`\bfreeze\b|\block (?:it|my|the)\b|\bblock (?:it|my|the)\b|凍結して|止めて|ロックして|ストップして`;
const C_MONEY_OUT = String.raw`\b(?:go|goes|went|going|gone) out\b|\boutgoing\b|\bdrain|\bwithdrawals? (?:are|were|is|was) (?:happening|being made|going)|出金され|送金され|引き出され|出て(?:い|行)っ|抜かれ|消え`;

/** Remote-control and screen-sharing tools (tech-support scams). */
const C_REMOTE = String.raw`anydesk|teamviewer|team viewer|quicksupport|quick assist|chrome remote|遠隔操作|遠隔|リモート(?:操作|アクセス|サポート|デスクトップ)|画面共有|画面を(?:共有|見せ)|\bscreen ?shar|\bshar(?:e|ed|ing) (?:my|the|his|her) screen\b|\bremote (?:access|desktop|control|support)\b`;
const C_REMOTE_DONE = String.raw`入れ${DONE}|インストール(?:し)?${DONE}|見せ${DONE}|共有(?:し)?${DONE}|使${W(2)}${DONE}|接続(?:し)?${DONE}|操作され|\binstalled\b|\bdownloaded\b|\bshared\b|\blet (?:him|her|them)\b|\bi did(?: it| that| so)?\b|\ballowed\b|\bgave (?:him|her|them)\b|\bconnected\b|\bran it\b|\bopened it\b`;
/** A phone or computer... */
const C_DEVICE = String.raw`スマホ|スマートフォン|携帯|ケータイ|iphone|アイフォン|android|アンドロイド|\bpc\b|パソコン|ノートパソコン|タブレット|ipad|端末|\bphone\b|\blaptop\b|\bcomputer\b|\bdevice\b|\btablet\b|\bmacbook\b`;
/** ...stolen or lost... */
const C_LOST = String.raw`盗まれ|盗難|取られ|すられ|スられ|ひったくられ|置き引き|なくし|無くし|失くし|紛失|落とし|置き忘れ|\bstolen\b|\bsnatched\b|\bpickpocket|\blost\b|\bleft (?:it|my)\b`;
/** ...while still signed in, or followed by an account event. */
const C_STILL_SIGNED_IN = String.raw`ログイン(?:した)?(?:まま|状態)|ログインしっぱなし|ロック(?:を)?(?:して|かけて)(?:い)?(?:ない|なかった|ません)|パスコード(?:なし|を設定して(?:い)?ない)|\b(?:still |was |am |is |stayed )logged in\b|\bsigned in\b|\blogged into\b|\b(?:wasn'?t|was not|isn'?t|not) locked\b|\bunlocked\b|\bno (?:passcode|pin|lock|screen lock)\b|(?:出金|送金|ログイン|変更|\bwithdrawal|\blogin|\bsign-?in|\bpassword (?:change|reset)|\btransfer)(?:申請)?(?:を|が)?(?:受け付け|完了|の?通知|の?お知らせ|の?メール|(?:した|された|されました|がありました|しました)(?:という|との|って)|(?: request)? (?:confirmation|notification|alert|email)s?\b)`;
/** Codes and verification messages... */
const C_CODE = String.raw`認証コード|確認コード|ワンタイム(?:パスワード)?|セキュリティコード|ログインコード|コード|\b2fa\b|\botp\b|\bcodes?\b|\bverification (?:code|sms|text)s?`;
/** ...arriving unasked. */
const C_UNASKED = String.raw`勝手に|頼み(?:も)?(?:せん|しない|してない)|頼んで(?:い)?(?:へん|ねえ|ねー)|頼んで(?:い)?(?:ない|ません)|依頼して(?:い)?(?:ない|ません)|リクエストして(?:い)?(?:ない|ません)|要求して(?:い)?(?:ない|ません)|操作して(?:い)?(?:ない|ません)|身に覚えの?(?:ない|無い)|覚えの?(?:ない|無い)|心当たりの?(?:ない|無い)|何もして(?:い)?ない|(?:何回|何度|何遍|ナンベン|次々|立て続け|続々|連続|大量|何通|\d+(?:回|通|件))${W(8)}(?:届|来る|来て|来ます|来た|くる|きて|きます|送られて)|\bdidn'?t (?:request|ask for|ask|initiate|trigger)\b|\bdid not (?:request|ask)\b|\bnever (?:requested|asked for)\b|\bnot requested\b|\bunrequested\b|\bunsolicited\b|\bwithout (?:me )?(?:requesting|asking|doing anything|logging in)\b|\b(?:even though|although|but|when|while) i (?:was|am|wasn'?t|was not|'m not|am not) (?:not )?(?:logging|trying to log|signing|using)|ログインしようとして(?:い)?(?:ない|ません)|\bkeep (?:getting|receiving)\b(?![^.!?\n]{0,30}\b(?:late|delayed|slow|after)\b)|\bkeeps? (?:coming|arriving)\b(?![^.!?\n]{0,20}\b(?:late|delayed|slow)\b)`;
/** Credentials and security settings... */
const C_CREDENTIAL = String.raw`パスワード|暗証番号|メールアドレス|メアド|登録メール|電話番号|携帯番号|二段階認証|2段階認証|2fa|認証アプリ|認証方法|認証設定|authenticator|出金先|送金先|アドレス帳|ホワイトリスト|登録情報|登録住所|銀行口座|振込先|apiキー|セキュリティ設定|言語設定|ユーザー名|\bpassword\b|\bpasscode\b|\bpin\b|\b(?:my |registered |account |login )e-?mail(?: address)?\b|\be-?mail address\b|\bphone number\b|\bmobile number\b|\bauthenticator\b|\bwithdrawal address(?:es)?\b|\bwhitelist\b|\baddress book\b|\bbank account\b|\bapi keys?\b|\bsecurity settings\b|\blanguage settings?\b|\busername\b|\bregistered (?:email|phone|address)\b`;
/** ...altered by someone (passive, or "now a different one"). */
const C_ALTERED = String.raw`変えられ${PASSIVE_DONE}|変更され${PASSIVE_DONE}|書き換え(?:られ|ら)|書き換わ|解除され${PASSIVE_DONE}|オフにされ|オフになって|無効(?:に)?(?:され|なって)|削除され${PASSIVE_DONE}|消され${PASSIVE_DONE}|追加され${PASSIVE_DONE}|登録され${PASSIVE_DONE}|作成され${PASSIVE_DONE}|作られ${PASSIVE_DONE}|リセットされ${PASSIVE_DONE}|(?:別の|知らない|違う|見知らぬ)${W(6)}(?:に|へ)(?:なって|変わ|変更|書き換)|変わって(?:いる|る|いた|た|いま(?!せん))|\b(?:was|were|has been|have been|got|had been) (?!not |never )(?:\w+ )?(?:changed|reset|removed|deleted|disabled|turned off|added|replaced|switched|modified|altered)\b|\b(?:switched|changed) to (?:some|an?|another|chinese|russian|english)\b`;
/** The user says it was them after all. */
const C_SELF = String.raw`自分で(?:変更|やっ|し|ログイン|設定|操作)|自分が(?:変更|やっ|し|ログイン)|私が(?:変更|やっ|し|ログイン)|さっき(?:自分で)?変更した|本人です|私です|私でした|自分です|自分でした|自分なので|\bit was me\b|\bthat was me\b|\bthis was me\b|\bi (?:just )?(?:changed|updated|reset|did) (?:it|this|that|my)\b|\bby myself\b|\bmyself\b|\bi'?m the one\b`;
/** An alert about the account... */
const C_ALERT = String.raw`履歴|\bhistory\b|\bsessions?\b|\bdevice list\b|通知|メール|お知らせ|アラート|\bsms\b|メッセージ|\bemails?\b|\balerts?\b|\bnotifications?\b|\bnotified\b|\btexts?\b`;
/** ...while the user was elsewhere or asleep. */
const C_ALIBI = String.raw`寝て(?:いる|る|いた|た|いまし|まし)|就寝中|入院中|その(?:時間|時|とき)(?:は)?${W(10)}(?:寝|仕事|外出|使って(?:い)?な|ログインして(?:い)?な|触って(?:い)?な)|(?:${C_DEVICE}|ブラウザ|パソコン|スマホ|端末)${W(6)}しか(?:持って|使って)(?:い)?(?:ない|ません)|(?:その|そんな|こんな)(?:の|もの|端末|デバイス|機種|pc|パソコン|スマホ|iphone|ブラウザ|場所|ゲーム機)${W(6)}(?:ない|持って(?:い)?(?:ない|ません)|使って(?:い)?(?:ない|ません)|知らない|ありません)|\bi don'?t (?:have|own|use) (?:a|an|that|this|any)\b|\basleep\b|\bsleeping\b|\bin (?:bed|the hospital)\b|\bon a (?:plane|flight)\b|\bi only (?:use|have|own) (?:(?:one|a|an|this|my|the) )?(?:\w+ )?(?:phone|iphone|android|pc|computer|laptop|device|browser|mac)\b`;
/** Places a login should not come from. */
const C_PLACE = String.raw`ロシア|中国|アメリカ|米国|韓国|北朝鮮|ベトナム|ブラジル|ナイジェリア|インド|ドイツ|フランス|イギリス|英国|ウクライナ|フィリピン|インドネシア|シンガポール|香港|台湾|マレーシア|トルコ|オランダ|カナダ|メキシコ|海外|外国|国外|\b(?:russia|china|usa|america|united states|korea|vietnam|brazil|nigeria|india|germany|france|uk|england|ukraine|thailand|philippines|indonesia|singapore|hong kong|taiwan|malaysia|turkey|netherlands|canada|mexico|romania|poland|iran|pakistan|bangladesh|kenya|ghana|argentina|colombia|spain|italy|abroad|overseas|another country|a foreign country|a different country)\b`;
const C_ACCESS = String.raw`ログイン|サインイン|アクセス|接続|\blog(?:g)?(?:ed|s)? ?in(?:to)?\b|\bloged\b|\blogins?\b|\bsign(?:ed)?[- ]?ins?\b|\baccess(?:ed)?\b|\bdevice\b|\bip\b|\bsession\b|\bconnection\b`;
/** The user's own access from abroad / a capability question: not an intrusion. */
const C_OWN_ACCESS = String.raw`でき(?:ますか|る\?|るの|ません)|可能(?:ですか|\?)|しても(?:大丈夫|いい|良い)|\bcan i\b|\bcould i\b|\bwill i be able\b|\bis it (?:possible|ok|okay|safe)\b|\bi (?:will|want to|plan to|am going to|'?ll) (?:log|sign|access|use)\b|私が(?:ログイン|アクセス)|自分が(?:ログイン|アクセス)|\bi logged in\b|\bwhen i log\b|ログインでき|アクセスでき|利用でき|使え|\bcan'?t (?:log|access)|\bunable to\b|引っ越|移住|転勤|旅行|出張|滞在|住んで|帰国|帰省|\bvisiting\b|\bhome country\b|\bmov(?:e|ed|ing) to\b|\btravel|\bliving\b|\blive in\b|\bvpn\b`;
/** Another exchange / the news, not the user's own account. */
const C_ELSEWHERE = String.raw`\b(?:said|says|saying|heard|claims?)\b|\brumou?rs?\b|噂|うわさ|と聞い|って聞い|らしい(?:です)?(?:が|けど)|\bis (?:that|it|this) true\b|本当(?:ですか|なの|\?)|他の取引所|他取引所|他社|別の取引所|海外の?取引所|ほかの取引所|他のサービス|ニュース|報道|記事|\b(?:another|other|a different|some|that) (?:exchange|platform|service|company)s?\b|\bnews\b|\bheadlines?\b|\breported\b|\barticle\b`;

export const ELSEWHERE = re(C_ELSEWHERE);
export const OWN_ACCOUNT = re(String.raw`(?:私|自分|僕|俺|わたし)の(?:口座|アカウント|資産|残高|コイン|ウォレット)|\bmy (?:account|coins|funds|balance|wallet|crypto|assets|btc|eth|xrp)\b`);
/** Clearly "I don't know this one" + something that touches the account. */
const C_UNKNOWN_STRONG = String.raw`(?:覚|おぼ)えの?(?:ない|無い)|(?:覚|おぼ)えがない|記憶にない|見知らぬ|見覚えの?(?:ない|無い)|見たことの?(?:ない|無い)|心当たりの?(?:ない|無い)|\bunknown\b|\bunfamiliar\b|\bunrecogni[sz]ed\b|\bsomeone else'?s\b`;
const C_UNKNOWN_WEAK = String.raw`謎の|不明な|変な|\bstrange\b|\bweird\b|\bforeign\b|\bodd\b|\bunusual\b`;
const C_ACCESS_THING = String.raw`端末|デバイス|ブラウザ|\bip|ログイン|アクセス|セッション|注文|取引|送金|出金|引き出し|売買|\b(?:device|browser|ip|login|log-?in|sign-?in|session|order|trade|withdrawal|transfer|transaction|activity|computer|laptop)s?\b`;
const C_ACCOUNT_THING = String.raw`${C_ACCESS_THING}|宛先|送り先|送付先|送金先|相手|アドレス|apiキー|銀行口座|口座(?!番号)|場所|国|地域|パソコン|\bpc\b|スマホ|iphone|android|通知|\b(?:address|location|country|bank account|api key|wallet)(?:es|s)?\b`;
const C_UNKNOWN_THING = String.raw`(?:${C_UNKNOWN_STRONG})${W(6)}(?:${C_ACCOUNT_THING})|(?:${C_UNKNOWN_WEAK})${W(4)}(?:${C_ACCESS_THING})|(?:知|し)ら(?:ない|ん|ね[ぇえー]?)${W(2)}(?:${C_ACCOUNT_THING}|うち|間)`;
const C_STOLEN = String.raw`盗まれ|盗難|すられ|スられ|ひったくられ|置き引き|\bstolen\b|\bsnatched\b|\bpickpocket`;
/** Only sending the evidence of a scam (a report), not falling for it. */
const C_REPORT_ONLY = String.raw`(?:スクショ|スクリーンショット|画像|証拠)(?:を)?(?:お)?(?:送|転送|共有|添付)|\bscreenshots?\b`;
/** The user's own mistake (wrong network/address): a trading problem even if they wonder whether it is a scam. */
const C_OWN_MISTAKE = String.raw`\bby (?:mistake|accident)\b|\baccidentally\b|\bwrong (?:network|address|chain|tag|memo)\b|間違(?:え|っ)て|誤って|誤送金`;
/** A market loss in violent words (guide §1.2: 「資産溶けた」 means lost trading, not stolen). */
const C_MARKET_LOSS = String.raw`含み益|\bunreali[sz]ed\b|\bpaper (?:gains?|profits?)\b|溶け|とけ(?:た|ました|て)|暴落|下落|(?:相場|価格|値段|ビットコイン|btc)${W(8)}(?:下が|落ち)|損切り|ロスカット|含み損|\bliquidat|\bmargin call\b|\b(?:crash(?:ed)?|dump(?:ed)?|dropped|tanked|plunged)\b`;
/** The order book, a market's screen: "the BTC/JPY book is empty" is an outage, not the user's holdings. */
const C_ORDER_BOOK = String.raw`板(?:が|は|も|の表示)|\border ?books?\b`;
/** Closing an account with nothing in it ("my balance is zero"): administration, not a theft. */
const C_CLOSING_ACCOUNT = String.raw`解約|退会|口座(?:を)?(?:閉じ|閉鎖)|\bclos(?:e|ing|ure of) (?:my |the |this )?account\b|\baccount closure\b`;
/** A question about what will happen ("will my money be gone during the maintenance?"), not a report. */
const C_WILL_VANISH = String.raw`\bwill (?:\w+ ){0,3}(?:be )?(?:gone|lost|zero|disappear|vanish)|(?:消え|なくな)(?:て)?(?:しまう|る)(?:の|ん)?(?:でしょうか|ですか|か)`;
/** Markets and screens, not the user's holdings ("the USDT/JPY pair disappeared"). */
const C_MARKET_LISTING = String.raw`取引画面|画面|ボタン|機能|\bbutton\b|\bfeature\b|\bscreen\b|\bpairs?\b|\blist(?:ing|ed)?\b|\bmenu\b|\btab\b|\bchart\b|\bmarkets?\b|一覧|銘柄|取扱|ペア|チャート|メニュー|画面から|表示から`;

/** Each is enough on its own for a security incident (type security, priority urgent). */
export const INCIDENT_RULES: Rule[] = [
  rule(
    'security.unrecognised_activity',
    'security',
    INCIDENT_WEIGHT,
    String.raw`身に覚えの?(?:ない|無い|ありません)|見たことの?(?:ない|無い)|見たことがない|見慣れない|見覚えの?(?:ない|無い|ありません)|覚えの?(?:ない|無い)|覚えがありません|心当たりの?(?:ない|無い)|心当たりがありません|知らない(?:うちに|間に|端末|デバイス|ip|アドレス(?!から)|注文|取引|ログイン|場所|国|もの|人|送金|出金)|(?:don'?t|do not|didn'?t|did not) recogni[sz]e|\bunrecogni[sz]ed\b|\bnot recogni[sz]ed\b|\bunknown (?:login|device|ip|address|withdrawal|transaction|order|location|sign-?in|access)|(?:address|device|ip|wallet|location|computer|phone)e?s? (?:that )?i (?:don'?t|do not|didn'?t|did not) (?:know|recogni[sz]e|own|use|have)|\bunfamiliar (?:login|device|ip|address|location|withdrawal|order)|\b(?:an? )?account (?:that )?i (?:didn'?t|did not|never) (?:create|open|register|sign up)|\b(?:address|device|ip|wallet|location|login|account)e?s?\b${W(10)}\b(?:i'?ve|i have|i) never (?:seen|used|heard|added|registered)\b|(?:海外|外国|国外)(?:から|より)の?(?:ログイン|アクセス)(?:が|され)(?:あり|あっ|てい|まし)|\b(?:login|log-?in|sign-?in|access)\b from (?:another|a different|a foreign|an? unknown|overseas|abroad)`,
    SECURITY_OBJECT,
    re(C_OWN_MISTAKE),
  ),
  rule(
    'security.not_by_user',
    'security',
    INCIDENT_WEIGHT,
    String.raw`勝手に${W(15)}(?:出金|送金|変更|解除|オフ|無効|ログイン|注文|売|買|引き出|移|送ら|追加|登録|設定|取引|使わ)|無断で${W(15)}(?:出金|送金|変更|解除|ログイン|注文|売|買|引き出|追加|登録|取引|使わ)|(?:私|自分|本人)(?:は|では|で|が)?${W(10)}(?:操作|注文|ログイン|出金|送金|申請|変更|売却|購入|取引|設定)(?:を|は|も)?(?:して|いたして|致して)?(?:い|お)?(?:ません|ない)|(?:操作|出金申請|注文|出金|送金)(?:を)?(?:して)?(?:いません|いない|おりません)|(?:出金|送金|ログイン|注文|操作|申請|売却|購入|取引)(?:は|も)(?:一切|何も|全く)?(?:して|やって)(?:い|お)?(?:ません|ない)|(?:私|自分|本人)(?:は|では|も)${W(15)}(?<!持っ)(?:ていません|ていない|てない|ておりません)|(?:私|自分|本人)(?:では|じゃ)(?:ありません|ない)|(?:私|自分|本人)(?:は|では|で|が)?(?:何も|一切)?(?:やって|して)(?:い|お)?(?:ません|ない)|(?:私|自分|本人)(?:は|では|で|が)?${W(6)}(?:出して|やって|行って|申請して|送って|入れて|頼んで)(?:い|お)?(?:ない|ません)|(?<!\b(?:balance|it|that|this|price|amount|number|figure|page|app|screen|status|display|chart|order|deposit|withdrawal)\s)\b(?:did ?n[o']?t|didn'?t|never|have ?n'?t|haven'?t|had ?n'?t)\s(?:ever\s)?(?:make|made|request(?:ed)?|authori[sz]ed?|place[d]?|initiated?|order(?:ed)?|approved?|(?:do|did|done)(?! anything (?:different|wrong|special|unusual|else))|send|sent|change[d]?(?! anything)|log(?:ged)? ?in(?! (?:for|in) (?:a |an |\d|years|months|ages|some|over|weeks))|sign(?:ed)? ?in|reset|withdr[ae]w|trade[d]?|sell|sold|buy|bought|add(?:ed)?|enabled?|disabled?|turn(?:ed)? off|consent(?:ed)?)\b(?!\s(?:by then|yet|before (?:the|then|it)|until)\b)|\bwas(?:n'?t| not) me\b|\bnot by me\b|\bnot me\b|without my (?:permission|consent|knowledge|authori[sz]ation)`,
    SECURITY_OBJECT,
  ),
  rule(
    'security.user_denies_event',
    'security',
    INCIDENT_WEIGHT,
    String.raw`何も(?:して|やって)(?:い|お)?(?:ない|ません)(?!(?:口座|アカウント|期間|状態|ので|から))|(?<!約定|対応|反映|着金|入金|完了|更新|表示|成立|処理)(?:して|やって)(?:い)?ないのに|知ら(?:ない|ん)(?:うちに|間に|まに)|寝て(?:いる|る|いた|た)間|寝ている時|\b(?:that|which) i (?:didn'?t|did not|never) (?:do|make|place|authori[sz]e|request|approve)\b|\bi (?:didn'?t|did not|never) (?:do|did) (?:that|this|it|any of (?:this|these|them))\b|\bwhile i was (?:sleeping|asleep|away|at work|offline|on holiday|travell?ing)\b`,
    new RegExp(foldKana(String.raw`出金|送金|引き出|売却|売ら|購入|注文|約定|取引|ログイン|承認|変更|解除|追加|\bwithdr|\bsent\b|\bsells?\b|\bsold\b|\bbuys?\b|\bbought\b|\btrades?\b|\borders?\b|\blog ?ins?\b|\bsign-?ins?\b|\breset\b|\bchanged\b|\bdisabled\b|\btransfer`)),
  ),
  rule(
    'security.credentials_leaked',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:パスワード|apiキー|api key|秘密鍵|シード|private key|seed phrase|credentials|ログイン情報|認証情報|\bpassword)${W(25)}(?:漏れ|漏洩|漏えい|流出|盗まれ|抜かれ|知られ|\bleak|\bexposed|\bstolen|\bcompromised)|(?:apiキー|api key|api secret|シークレット)${W(20)}(?:載せ|公開|晒|アップ|貼)(?:て|し)(?:しま|た|まし)|\b(?:posted|pushed|uploaded|pasted|shared|leaked)\b${W(25)}\b(?:api key|api secret|private key|seed phrase|password)`,
  ),
  rule(
    'security.third_party_access',
    'security',
    INCIDENT_WEIGHT,
    String.raw`\b(?:someone|somebody|a hacker|hackers|an attacker|a third party)\b${W(30)}\b(?:withdrew|withdrawn|logged|log ?in|accessed|access(?:ing)?|changed|is in|was in|has access|got into|got in|stole|took|sold|bought|transferred|moved|used|reset|disabled|added|drained|emptied)|(?:誰か|第三者|他人|知らない人)(?:が|に|によって)${W(20)}(?:ログイン|アクセス|変更|出金|送金|操作|使われ|売|買|引き出|盗|追加)|誰が(?:やった|した|操作|出金|送金)`,
  ),
  rule(
    'security.compromised',
    'security',
    INCIDENT_WEIGHT,
    String.raw`\bhacked\b|\bcompromised\b|\bstolen\b|\bstole\b|\btheft\b|\bdrained\b|\bphished\b|\bfell for (?:a|an|the|this)?\b|\bgot scammed\b|詐欺(?:に|の被害に)(?:あ|遭)|被害に(?:あ|遭)|\b(?:they|he|she|someone|scammers?|hackers?|the attacker) (?:now )?(?:have|has|got|know|knows) my (?:password|2fa|seed|private key|api key|login|account)|account takeover|\btaken over\b|\bhijack(?:ed)?\b|ハッキングされ|ハックされ|乗っ取られ(?!ない|ません|たら|る(?:の|こと|か))|乗っ取り(?!という|の(?:話|ニュース|手口|被害が)|対策|防止|が(?:怖|心配|増え)|に(?:つい|気を|あわない|遭わない))|乗っとられ(?!ない|ません|たら)|のっとられ|盗まれ|盗難|盗られ|抜かれ|不正(?:ログイン|アクセス|出金|送金|利用|取引|注文|操作|に(?:ログイン|アクセス|出金|送金|引き出|使))|unauthori[sz]ed (?:access|login|log-?in|sign-?in|withdrawals?|transactions?|transfers?|trades?|orders?|activity|use|purchases?)`,
  ),
  rule(
    'security.funds_gone',
    'security',
    INCIDENT_WEIGHT,
    String.raw`残高が(?:ゼロ|0円?)(?:に|円に)な|残高が(?:なくな|消え|空に)|資産が(?:消え|なくな|ゼロ)|(?:全部|すべて|全て)(?:なくなっ|なくなり|消え(?!る|ない))|\bbalance (?:is |was |went |has )?(?:gone|to zero|wiped|emptied)\b|\b(?:balance|funds|money|coins|crypto|assets|savings|everything|btc|eth|xrp|ltc|usdt|jpy|holdings)\b${W(15)}\b(?:is|are|was|were|has|have) (?:all )?(?:been )?gone\b|\bemptied\b|\bwiped out\b|\b(?:all|whole|entire|everything)\b${W(20)}\b(?:was|were|got|has been|have been) (?:withdrawn|sent|transferred|sold|moved|taken)\b|\bbalance\b${W(25)}\bto (?:0|zero)\b|(?:全額|全部|すべて|全て)${W(10)}(?:出金|送金|引き出|売却|売ら|送ら|移さ|抜か)(?:さ)?れ`,
    undefined,
    re(`${C_MARKET_LOSS}|${C_WILL_VANISH}`),
  ),
  rule(
    'security.phishing_victim',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:パスワード|\bid\b|暗証番号|認証コード|2fa|二段階認証|2段階認証|コード|秘密鍵|シード|ログイン情報|個人情報|アカウント情報|メールアドレス|apiキー)${W(20)}(?:入力|入れ|教え|送っ|送信|伝え|渡)(?:して|て|し)?しま|(?:リンク|url|サイト|偽|メール|sms|line|dm)${W(20)}(?:ログイン|サインイン|入力)(?:して)?しま|\b(?:entered|typed|input|gave|given|sent|shared|submitted|provided|told)\b${W(40)}\b(?:password|passcode|2fa|code|credentials|login details|seed|private key|api key|otp)\b(?!\s(?:is|isn'?t|was|wasn'?t|doesn'?t|didn'?t|won'?t|reset|change|expired|did not|does not|request)\b)|\b(?:password|passcode|2fa code|credentials|seed phrase|private key)\b${W(60)}\bi (?:sent|gave|entered|typed|shared|submitted) (?:it|them)\b`,
    PHISH_CONTEXT,
  ),
  rule(
    'security.sim_swap',
    'security',
    INCIDENT_WEIGHT,
    String.raw`simスワップ|\bsim[- ]?swap|\b(?:cloned|swapped|hijacked|ported|stole|took over)\b${W(12)}\bsim\b|\bsim(?:カード)?が?${W(15)}(?:乗っ取|移され|再発行され|無効に)|\bsim(?:カード)?の?再発行${W(20)}(?:あった|ありまし|され(?!ない|ません))|\b(?:sim|phone number|number)\b${W(20)}\b(?:was |has been |got )?(?:moved|swapped|ported|transferred|hijacked|reissued)\b`,
  ),
  rule(
    'security.api_key_leak',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:apiキー|api key|apikey|api鍵|api secret|シークレットキー|secret key)${W(30)}(?:流出|漏れ|漏洩|漏えい|公開して|公開され|盗まれ|晒|\bleak|\bexpos|\bcompromis|\bstolen|\bpublic\b(?!\s(?:endpoints?|apis?|data|methods?|market data)\b)|github|\bpushed|\bposted)|(?:流出|漏洩|\bleaked|\bexposed)${W(20)}(?:apiキー|api key)`,
  ),
  rule(
    'security.suspicious_activity',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:不審な|怪しい|\bsuspicious\b|\bstrange\b|\bweird\b)${W(6)}(?:ログイン|アクセス|出金|送金|取引|注文|\blog ?ins?\b|\bsign-?ins?\b|\baccess\b|\bwithdrawals?\b|\btransactions?\b|\bactivity\b|\btrades\b|\borders\b)`,
    undefined,
    new RegExp(foldKana(String.raw`本物|\blegit|\bgenuine\b|really from|actually from|is (?:this|it) real`)),
  ),
  rule(
    'security.accessed_by_other',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:ログイン|サインイン|アクセス)され(?:た|て|まし)|\bmy account (?:was|has been|got) (?:logged|signed|accessed|used)\b|\b(?:was|were|has been) (?:logged|signed) into\b|(?:どこか|知らない(?:所|ところ|人|口座)|誰か)(?:に|へ)${W(5)}(?:送|出金|移|引き出)`,
  ),
  rule(
    'security.malware',
    'security',
    INCIDENT_WEIGHT,
    String.raw`マルウェア|ウイルス|ウィルス|\bmalware\b|\bvirus\b|keylogger|キーロガー|\btrojan\b|遠隔操作|リモート操作|remote access (?:app|tool|software)`,
    SECURITY_OBJECT,
  ),
  rule(
    'security.denied_after_alert',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?<!(?:年|ヶ月|か月|カ月|ケ月|週間|日間|しばらく|長い間|長らく|ずっと|最近)(?:くらい|ぐらい|ほど|以上|も)?)(?:ログイン|出金|送金|変更|操作|注文|申請)(?:は|も|を)?(?:一切|何も|全く)?(?:して|やって)(?:い|お)?(?:ません|ない)|\bi (?:didn'?t|did not|never|haven'?t) (?:log|sign)(?:ged)? ?in\b(?! (?:for|in) (?:a |an |\d|years|months|ages|some|over|weeks))`,
    ALERT_CONTEXT,
  ),
  rule(
    'security.settings_altered',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:アドレス|出金先|メールアドレス|電話番号|二段階認証|2段階認証|apiキー|ホワイトリスト)${W(15)}(?:消され|削除され|追加され|書き換え|変えられ)(?:て|た|ま)|\b(?:withdrawal address|whitelist|api key|2fa|authenticator)e?s?\b${W(25)}\b(?:was|were|has been|have been|got) (?:added|removed|deleted|created|turned off|disabled)\b`,
  ),
  rule(
    'security.alert_not_user',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:new (?:device|login|sign-?in)|\blog ?in (?:alert|notification|email)|sign-?in (?:alert|notification)|ログイン通知|新しい(?:端末|デバイス)|(?:出金|送金)(?:完了)?(?:の)?通知|withdrawal (?:confirmation|notification|email))${W(60)}(?:\bbut i (?:was|wasn'?t|didn'?t|never|haven'?t)\b|\basleep\b|寝て|使っていな|使っていませ|外出中)`,
  ),
  rule(
    'security.tampered_settings',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:アドレス|メールアドレス|パスワード|電話番号|設定|出金先)${W(12)}(?:書き換えられ|書き換わ|書換えられ|すり替え)|(?:パスワード|メールアドレス|電話番号|二段階認証|2段階認証|出金先)(?:が)${W(6)}(?:変わって|変更されて|解除されて)(?:いる|る|います|いました|いた)|\b(?:password|email(?: address)?|phone number|2fa|two-factor authentication) (?:was|has been|got) (?:changed|reset|disabled|removed)\b|(?:メールアドレス|パスワード|電話番号|出金先|アドレス)(?:が)${W(6)}(?:別の|違う|知らない)${W(6)}(?:に)(?:なって|変わ)|\b(?:withdrawal address|address|email|password|phone number)\b${W(25)}\b(?:was|were|has been|got) (?:changed|replaced|swapped)\b${W(15)}\bwithout`,
  ),
  // Orders a trading bot did not place (its owner's logs show none): someone else holds the key.
  rule(
    'security.orders_not_from_bot',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:bot|ボット)(?:が|の)?(?:出して|発注して|入れて|送って)(?:い)?(?:ない|ません)${W(6)}(?:注文|取引|売|買)|(?:自分|私|うち|弊社|当社)の(?:bot|ボット)(?:じゃ|では)(?:ない|ありません)${W(6)}(?:注文|取引)|\b(?:orders?|trades?|sells?|buys?)\b${W(60)}\b(?:not|nowhere) in (?:our|my) (?:own )?(?:order |trade |bot )?logs?\b|\bour bot (?:did ?n[o']?t|never) (?:place|send|make)\b`,
  ),
  // The address pasted is not the one copied (clipboard malware), or a look-alike address (address poisoning).
  rule(
    'security.address_swapped',
    'security',
    INCIDENT_WEIGHT,
    String.raw`\bpasted\b${W(50)}\b(?:doesn'?t|does not|didn'?t|did not) match\b|貼り付け(?:た)?${W(25)}(?:違う|別の|異なる|一致しない)|先頭と末尾(?:の\d+文字)?(?:だけ|が)(?:同じ|一緒)|\bfirst and last (?:few |\d+ )?(?:characters|chars|digits|letters)\b${W(20)}\b(?:same|match)|アドレスポイズニング|\baddress poisoning\b|クリップボード${W(15)}(?:書き換|すり替|変わ)|\bclipboard\b${W(30)}\b(?:hijack|replac|swap|chang|malware)`,
  ),
  // A device with the account still on it, in someone else's hands (sold without a reset, a dead relative's phone missing).
  rule(
    'security.device_out_with_access',
    'security',
    INCIDENT_WEIGHT,
    String.raw`(?:初期化|リセット|データ消去)(?:を|も)?(?:し)?忘れ|\bforgot to (?:wipe|reset|factory[- ]reset|erase|log out of)\b|(?:亡くなった|故人の)${W(10)}(?:スマホ|携帯|端末|パソコン)${W(20)}(?:見当たら|見つから|ない|紛失)`,
    re(String.raw`ログイン|認証アプリ|アプリ|authenticator|logged in|signed in|\bapp\b|\b2fa\b`),
  ),
  // Someone who should no longer have access still has it (a former employee, a helper who saw the password).
  rule(
    'security.former_insider_access',
    'security',
    INCIDENT_WEIGHT,
    String.raw`\b(?:former|ex-?)\s?(?:employees?|staff|colleagues?|partners?|members?)\b${W(40)}\b(?:still )?(?:has|have|had) access\b|元(?:社員|従業員|職員|担当者|役員)${W(25)}(?:アクセスでき|ログインでき|知って(?:い)?る|持って(?:い)?る)|\bsaw me (?:type|typing|enter|entering)\b${W(20)}\bpassword\b|(?:パスワード|暗証番号)(?:を)?(?:入力|打つ|打って)(?:する)?(?:ところ|の)を?見(?:られ|てい)`,
  ),
  // An "investor" or friend met online who was sent money and can no longer be reached.
  rule(
    'security.scam_contact_lost',
    'security',
    INCIDENT_WEIGHT,
    String.raw`連絡(?:が|も)?(?:取れなく|とれなく|取れない|とれない|つかない|つかなく|途絶え|取れません|とれません)|\b(?:stopped|stop) (?:answering|replying|responding)\b|\bblocked me\b|\bcan'?t (?:reach|contact) (?:him|her|them)\b|\bghosted me\b`,
    [re(String.raw`送っ|送り|送金|送付|振り込|振込|入金|\bsent\b|\btransferr?ed\b|\bpaid\b|\binvested\b|\bdeposited\b`), re(String.raw`知り合|紹介|勧誘|投資(?:グループ|家|話|案件|先)|グループ|sns|line|ライン|マッチング|インスタ|\bmet\b|\bonline\b|\bmentor\b|\binvestment (?:group|advisor|adviser|coach)\b|\bfriend\b`)],
  ),
  // --- combinations of concepts (see the lexicons above) ---
  rule('security.holdings_vanished', 'security', INCIDENT_WEIGHT, `(?:${C_HOLDINGS})${W(15)}(?:${C_VANISHED})`, undefined, re(`${C_IN_FLIGHT}|${C_MARKET_LISTING}|${C_MARKET_LOSS}|${C_ORDER_BOOK}|${C_CLOSING_ACCOUNT}|${C_WILL_VANISH}`)),
  rule('security.event_user_denies', 'security', INCIDENT_WEIGHT, C_NO_AGENCY, re(C_ACCOUNT_EVENT)),
  rule('security.unknown_thing', 'security', INCIDENT_WEIGHT, C_UNKNOWN_THING, undefined, re(C_OWN_MISTAKE)),
  rule('security.someone_else_acting', 'security', INCIDENT_WEIGHT, `(?:${C_OTHER_PERSON})${W(30)}(?:${C_THEIR_ACTION})`),
  rule('security.scam_victim', 'security', INCIDENT_WEIGHT, `${C_GAVE_JA}|${C_GAVE_EN}`, re(C_SCAM), re(`${C_REPORT_ONLY}|${C_OWN_MISTAKE}`)),
  rule('security.remote_access_scam', 'security', INCIDENT_WEIGHT, near(C_REMOTE, C_REMOTE_DONE, 40)),
  rule('security.device_stolen', 'security', INCIDENT_WEIGHT, near(C_DEVICE, C_STOLEN, 12)),
  rule('security.device_lost_signed_in', 'security', INCIDENT_WEIGHT, near(C_DEVICE, C_LOST, 12), re(C_STILL_SIGNED_IN)),
  rule('security.unasked_codes', 'security', INCIDENT_WEIGHT, near(C_CODE, C_UNASKED, 25)),
  rule(
    'security.credentials_altered',
    'security',
    INCIDENT_WEIGHT,
    `(?:${C_CREDENTIAL})${W(20)}(?:${C_ALTERED})|(?:いつの間にか|いつのまにか|気づいたら|気付いたら|勝手に)${W(20)}(?:${C_ALTERED})`,
    undefined,
    re(C_SELF),
  ),
  rule('security.alert_while_away', 'security', INCIDENT_WEIGHT, C_ALIBI, [re(String.raw`${C_ALERT}|\bnew (?:device|login|sign-?in|session)\b|\blogged in\b|\bsigned in\b|ログインされ|ログイン(?:が)?あり|ログインしました|新しい(?:端末|デバイス)`), re(`${C_ACCESS}|${C_ACCOUNT_EVENT}`)], re(C_SELF)),
  rule('security.foreign_access', 'security', INCIDENT_WEIGHT, near(C_ACCESS, C_PLACE, 40), undefined, re(C_OWN_ACCESS)),
  rule('security.secret_handed_over', 'security', INCIDENT_WEIGHT, C_HANDED, undefined, re(C_RESET_MAIL)),
  rule('security.exposed_then_event', 'security', INCIDENT_WEIGHT, C_EXPOSED, re(C_APPEARED)),
  rule('security.holdings_moved', 'security', INCIDENT_WEIGHT, C_HOLDINGS_MOVED, undefined, re(String.raw`${C_IN_FLIGHT}|${C_OWN_MISTAKE}|ロスカット|強制決済|損切り|逆指値|\bstop[- ]?loss|\bliquidat|\bmargin call|追証`)),
  rule('security.had_before', 'security', INCIDENT_WEIGHT, C_HAD_BEFORE, re(`${C_HOLDINGS}|残高`), re(String.raw`${C_PENDING_DEPOSIT}|${C_MARKET_LISTING}|\b(?:i|and|then)(?: then| also)? (?:sold|withdrew|sent|transferred|bought|spent|moved|traded)\b|(?:売っ|売却し|出金し|送金し|移し|買っ|購入し)た`)),
  rule('security.scammed', 'security', INCIDENT_WEIGHT, String.raw`(?:騙され|だまされ)(?:た|まし|て(?:しま|い))|\b(?:been|was|got|were) (?:scammed|defrauded|conned|tricked|duped|swindled)\b|\bscammed me\b`),
  rule('security.device_in_sessions', 'security', INCIDENT_WEIGHT, near(C_SESSION_LIST, C_DEVICE_NAME, 30), undefined, re(`${C_SELF}|${C_OWN_ACCESS}`)),
  rule('security.freeze_money_out', 'security', INCIDENT_WEIGHT, near(C_FREEZE, C_MONEY_OUT, 80)),
  rule('security.breach', 'security', INCIDENT_WEIGHT, String.raw`\bbreach(?:ed)?\b|侵入され|侵害され|\bpwned\b`, SECURITY_OBJECT),
];

/** Weighted evidence per type. A rule counts once, at its first occurrence. */
export const RULES: Rule[] = [
  // --- security, short of an incident ---
  rule(
    'security.phishing',
    'security',
    5,
    String.raw`フィッシング|偽(?:サイト|メール|アプリ|物|の|sms|アカウント|url|サポート)|なりすまし|成りすまし|を名乗る|をかたる|を騙る|を装った|\bphishing\b|\bfake\b|\bscam(?:mer|mers|s)?\b|\bspoof|\bimpersonat|claiming to be|pretending to be|詐欺`,
  ),
  rule(
    'security.suspicious_contact',
    'security',
    4,
    String.raw`不審な|怪しい|アヤシイ|本物(?:ですか|かどうか|か|\?|なの|でしょうか)|\bsuspicious\b|\blegit(?:imate)?\b|\bgenuine\b|is (?:this|it|that) (?:really )?(?:real|from you|from bitbank)|\b(?:really|actually) from (?:you|bitbank)|\ba real (?:bitbank|email|address|site|app|one)\b|\bofficial (?:bitbank )?(?:email|address|site|app|account)\?|無視して(?:いい|良い|大丈夫|も)|\b(?:safe to|can i|should i) ignore\b`,
  ),
  rule(
    'security.received_message',
    'security',
    3,
    String.raw`(?:」|"|')${W(3)}(?:って|という|との|と書|と)${W(4)}(?:sms|ショートメール|メール|メッセージ|電話|dm|連絡|手紙|ハガキ|はがき|line)|\b(?:texts?|sms|e-?mails?|messages?|calls?|dms?|letters?|voicemails?)\b${W(30)}\b(?:saying|that says|which says|claiming|telling me|asking me|asking for|warning)\b`,
    undefined,
    re(C_SELF),
  ),
  rule(
    'security.suspicious_call',
    'security',
    4,
    String.raw`\b(?:someone|somebody|a (?:man|woman|guy|person|caller)|they)\b${W(10)}\b(?:called|phoned|rang|texted|dm'?e?d|messaged|emailed|contacted)\b|\bhung up\b|電話が(?:かかって|来|あり)|電話を切|(?:電話|sms|メール)${W(15)}(?:聞かれ|尋ねられ|求められ)`,
  ),
  rule(
    'other.security_howto',
    'other',
    4,
    String.raw`見分け方|見分ける|見分けられ|見抜|注意点|気をつけ(?:る|た|れば)(?:こと|べき|点|方)|防ぐ(?:方法|には|ため)|対策(?:方法|として|は)|\bhow (?:to|do i|can i|should i) (?:spot|identify|recogni[sz]e|tell|detect|avoid|check if|verify)|\btips\b|best practices|\bwatch out for\b|\blook out for\b|\bbe careful (?:of|about|with)\b|\bwhat (?:protections?|safeguards?|security measures)\b|\bprotections? (?:do|does)\b|対策(?:は|を)(?:教え|して(?:い)?ますか)|保護(?:の)?(?:仕組み|制度|機能)|補償制度`,
  ),
  rule(
    'other.safety_worry',
    'other',
    2,
    String.raw`\bshould i (?:be )?(?:worried|concerned)\b|\bnothing to worry about\b|\bam i (?:safe|at risk)\b|\bis my (?:account|money|crypto|balance|coins?|funds?) (?:safe|at risk)\b|大丈夫(?:ですか|でしょうか|なの|\?)`,
  ),
  rule('security.freeze_request', 'security', 5, String.raw`(?:アカウント|口座)(?:を)?(?:すぐに|至急|今すぐ)?(?:止めて|ストップして)|(?:凍結|ロック|停止)(?:して|を)(?:ください|下さい|ほしい|欲しい|お願い)|\b(?:freeze|lock|block|suspend) my account\b`),
  rule(
    'security.attack_attempts',
    'security',
    5,
    String.raw`(?:\blots of|\bmany\b|\bmultiple\b|\brepeated(?:ly)?\b|\bseveral\b|\bdozens of|大量の|何通も|何度も|繰り返し|次々)${W(25)}(?:password reset|\breset\b|2fa|\bcodes?\b|\blog ?ins?\b|ログイン|認証コード|パスワード(?:再設定|リセット)|再設定)`,
    undefined,
    new RegExp(foldKana(String.raw`\bi'?m the one\b|\bi (?:mistyped|typed (?:it )?wrong|entered (?:it )?wrong|forgot)\b|mistyp|\btypos?\b|自分で(?:間違|何度)|(?:間違え|間違っ)(?:た|て)(?:から|ので|せい|ため)|入力ミス|打ち間違|忘れて`)),
  ),
  rule('security.account_alert', 'security', 3, String.raw`\bnew (?:device|login|sign-?in)\b|\blog ?in (?:alert|notification)s?\b|\bsign-?in (?:alert|notification)s?\b|ログイン通知|新しい(?:端末|デバイス)からの?ログイン`, undefined, new RegExp(foldKana(String.raw`\bit was me\b|\bthat was me\b|私です|私でした|自分です|自分でした|自分で(?:ログイン|した)|(?:オン|オフ|有効|無効)に(?:する|したい|でき|して)|設定(?:は|方法|画面|でき|したい|はどこ|を)|\bturn (?:on|off)\b|\benable\b|\bdisable\b|\bsettings?\b|止め(?:る|たい|方)`))),
  rule('security.sim_signal_lost', 'security', 3, String.raw`急に圏外|突然圏外|\bno service\b`),
  rule('security.topic', 'security', 1, String.raw`${TWOFA}|パスワード|\bpassword\b|セキュリティ|\bsecurity\b|不正|秘密鍵|private key|\bhack`),

  // --- outage ---
  rule(
    'outage.down',
    'outage',
    4,
    String.raw`\b(?:site|app|api|website|exchange|server|servers|platform|service|page|bitbank|system|everything|trading|login)s? (?:\w+ ){0,3}?down\b|\bdown (?:for|since|again|right now)\b|\bdown\?|\boutage\b|\boffline\b|落ちて(?:る|い|ます)|落ちた|鯖落ち|サーバー?落ち|ダウンして|障害|不具合が(?:発生|起き)|繋がらない|つながらない|繋がりません|つながりません|接続できな|アクセスできな|\bunreachable\b|not (?:loading|responding)|\bwon'?t (?:load|open)\b|\b(?:can'?t|cannot|unable to) (?:load|access|reach|connect|open)\b|isn'?t (?:loading|responding)|(?:doesn'?t|does not) load`,
  ),
  rule(
    'outage.server_error',
    'outage',
    4,
    String.raw`\b50[0-4]\b(?! ?(?:円|yen|jpy|btc|eth|xrp|usdt|ltc|枚|万|件|,\d|\.\d))|internal server error|bad gateway|service unavailable|gateway time-?out|サーバー?エラー|\bserver error`,
  ),
  rule('outage.client_error', 'outage', 3, String.raw`\b40[34]\b(?! ?(?:円|yen|jpy|btc|eth|xrp|usdt|ltc|枚|万|件|,\d|\.\d))`),
  rule('outage.regression', 'outage', 3, String.raw`stopped working|動かなくなっ|機能しなくなっ|使えなくなっ|\bnot working since\b|\b(?:having|experiencing) (?:issues|problems|an outage|difficulties)\b|\btakes? forever\b|アップデート後|アップデートしたら|更新したら|since the (?:last |latest )?update`),
  rule('outage.error_code', 'outage', 4, String.raw`\b1000[0-9]\b|\berror (?:code )?\d{3,5}\b|エラーコード${W(3)}\d{3,5}|\bon every (?:order|request|call)\b|system (?:is )?busy|\bbusy\b|混雑|混み合っ|try again later|しばらくしてから`),
  rule('outage.unstable', 'outage', 3, String.raw`不安定|\bunstable\b|\bflaky\b|\bintermittent|途切れ|\bdead\b|死んで`),
  rule('outage.error', 'outage', 2, String.raw`エラー|\berrors?\b`),
  rule('outage.status_page', 'outage', 2, String.raw`status page|ステータスページ|障害情報|\boperational\b`),
  rule('outage.system_error', 'outage', 3, String.raw`システムエラー|\bsystem error|エラーが(?:発生|出|表示|起き|返)|\berror (?:page|screen|message)\b|(?:something went wrong)`),
  rule(
    'outage.broken_screen',
    'outage',
    3,
    String.raw`真っ白|白い画面|blank (?:page|screen)|white screen|画面が(?:固ま|フリーズ)|フリーズ|(?:app|アプリ)(?:が|は)?${W(10)}(?:落ちる|落ちます|落ちて|クラッシュ|強制終了)|\bcrash(?:es|ed|ing)?\b|\bhang(?:s|ing)?\b|\bfreez(?:es|ing)\b|固ま(?:る|り|っ)|ループ|\bloops?\b|起動しない|起動しなく|起動できない|起動しません|開かない|開けない|開けません|開きません|\bspinning\b|loading (?:forever|screen)|\bstuck (?:on|at) (?:the )?(?:loading|splash)|読み込み中のまま|ぐるぐる|くるくる|ローディング|読み込(?:めない|みが終わらない|まない)|読み込み中|ローディング中|\bkeeps? loading\b|(?:ページ|画面|サイト|トップ|アプリ|\bpage|\bsite)${W(10)}(?:表示されない|表示されません|出ない|出ません|映らない)`,
  ),
  rule(
    'outage.slow',
    'outage',
    3,
    String.raw`\b(?:slow|laggy|lagging|lag|sluggish|unresponsive)\b|\btaking \d+ (?:seconds|secs|minutes)\b|重い|重すぎ|重たい|激重|激遅|重くて|もっさり|もたつ|もたもた|カクカク|かくかく|(?:サイト|アプリ|画面|動作|動き|表示|読み込み|ページ|サーバー?|反応|レスポンス|応答|処理)(?:が|の|は)?${W(6)}(?:遅|重)|\bresponses? (?:are |is )?(?:taking|slow)`,
  ),
  rule(
    'outage.not_updating',
    'outage',
    4,
    String.raw`更新されない|更新されません|更新されていない|更新されていません|更新が止ま|止まったまま|同じ表示のまま|表示が変わらない|配信${W(15)}(?:止ま|停止|来な|途絶)|固まったまま|\bstale\b|not updating|stopped (?:sending|streaming|pushing|publishing|updating)|送られてこな|流れてこな|来なくなっ|(?:hasn'?t|haven'?t|isn'?t|not) (?:been )?(?:refresh|updat)(?:ed|ing)?\b|isn'?t updating|stopped updating|not refreshing|(?:chart|price|order ?book|ticker|feed)s? (?:is |are )?(?:stuck|frozen)|(?:app|price|chart|screen|page|site|ticker|order ?book)s?${W(20)}\bfr(?:ozen|eez(?:es|ing))\b|(?:price|chart|価格|チャート|板|レート)${W(20)}(?:hasn'?t moved|not moving|動かない|動いていない|動きません)`,
  ),
  rule('outage.realtime_feed', 'outage', 2, String.raw`websocket|web socket|ウェブソケット|板情報|板が|order ?book|\bstream\b|\bfeed\b|チャート|\bchart\b`),
  rule('outage.disconnect', 'outage', 3, String.raw`(?:connection|socket|stream|feed|session)s?${W(20)}\bdrop(?:s|ped|ping)?\b|切断|discon+ect(?:s|ed|ing)?|接続${W(10)}切れ|time ?outs?\b|timed out|timing out|times out|タイムアウト|応答がない|応答しない|no response from (?:the )?(?:server|api|site|app)`),
  rule('outage.maintenance', 'outage', 4, String.raw`メンテナンス|メンテ|maintenance|scheduled downtime`),
  rule('outage.everyone_affected', 'outage', 2, String.raw`ほかの人も|他の人も|他の方も|みんな|皆さん|全員|私だけ|自分だけ|同じ症状|同じ問題|\bfriends? (?:have|has|are|is)\b|\bsame (?:problem|issue)\b|\beveryone\b|other users|anyone else|just me\b|only me\b`),
  rule('outage.api_failing', 'outage', 2, String.raw`\bapi\b${W(20)}(?:エラー|error|失敗|fail|返|止ま|動かない|使えない|down|return|respond|broken|not working|遅|slow|タイムアウト|time)|(?:エラー|\berrors?\b|失敗|\bfail)${W(30)}\b(?:via|through|from|on|with) (?:the |your )?api\b`),
  rule('outage.broken', 'outage', 2, String.raw`\b429\b|too many requests|\b(?:is|are|seems?|looks?) (?:\w+ )?broken\b|壊れてい|おかしくな`),
  rule('outage.bot_context', 'outage', 1, String.raw`\bbots?\b|自動売買|自動取引|market making|マーケットメイク|アルゴ`),
  rule('outage.login_failing', 'outage', 1, String.raw`(?:ログイン|サインイン)(?:が)?(?:できな|できませ)|\b(?:can'?t|cannot|unable to) (?:log|sign) ?in\b`),
  rule('outage.unusable', 'outage', 1, String.raw`使えない|使えません|利用できない|利用できません|\bcan'?t use\b|\bunable to use\b`),

  // --- trading ---
  rule(
    'trading.order_not_filled',
    'trading',
    5,
    String.raw`約定し(?:ない|ません|なかった|ていない|ていません)|約定せず|約定されな|約定されません|未約定|not (?:been )?(?:filled|executed)|\bunfilled\b|(?:didn'?t|did not|doesn'?t|won'?t|isn'?t|hasn'?t|wasn'?t) (?:get |been )?(?:filled|fill|execute|executed|trigger|triggered)\b|発動し(?:ない|ません|なかった)|発動せず|執行されな|注文中のまま|(?:注文(?!板)|ロスカット|損切り|逆指値|\bstop|\border|liquidation)${W(15)}(?:機能し|作動し|動作し)(?:ない|なかった|ません)|(?:\border|注文(?!板))${W(20)}(?:\bstuck\b|のまま|残った|残って|消えない|キャンセルできな)`,
  ),
  rule(
    'trading.order',
    'trading',
    2,
    String.raw`注文|約定|\borders?\b|指値|成行|逆指値|損切り|stop[- ]?loss|limit order|market order|部分約定|partial(?:ly)? fill|ロスカット|証拠金|維持率|追証|margin call|\bliquidat|信用取引|\bmargin\b|レバレッジ|leverage|\bfill(?:ed|s)?\b|キャンセル|\bcancel(?:led|ed)?\b|売却|購入|\bsold\b|\bbought\b`,
  ),
  rule(
    'trading.deposit_missing',
    'trading',
    5,
    String.raw`${DEPOSIT}${W(30)}(?:反映され(?:ない|ません|ていない|ていません|ず)|されていない|されていません|着金しない|届かない|届いていない|届きません|確認できない|見当たらない|not (?:showing|shown|credited|reflected|received|arrived|appeared|there)|(?:isn'?t|hasn'?t|haven'?t|wasn'?t) (?:been )?(?:credited|reflected|received|arrived|showing|shown)|\bmissing|never arrived|not in my (?:balance|account))|${DEPOSIT}${W(30)}(?:のまま|増えない|増えていない|増えません|遅い|遅れ|時間がかか|経っても|たっても)|${DEPOSIT}(?:した|して)?のに|着金していない|着金していません|着金しない|着金してない|未着金|入金されない|入金されていない|not in my (?:balance|account)|(?:balance|account) (?:doesn'?t|does not) show`,
  ),
  rule(
    'trading.withdrawal_delayed',
    'trading',
    5,
    String.raw`${WITHDRAW}${W(60)}(?:処理中|\bprocessing\b|振り込まれ(?:ていない|ていません|ない|ません)|経ちますが|経ったが|経つが|まだ|never (?:received|arrived|got)|入っていない|入りません|入らない|入ってない|経っても|たっても|保留|審査中|遅い|遅れ|遅延|時間がかか|反映され(?:ない|ません|ていない|ていません|ず)|届かない|届きません|届いていない|届いてない|着金しない|未着|止まっ|終わらない|完了しない|完了しません|\bpending\b|\bdelayed\b|\bdelay\b|\bstuck\b|taking (?:so |too )?long|\bslow\b|not (?:arrived|received|completed|processed|yet)|(?:hasn'?t|haven'?t|isn'?t|wasn'?t) (?:been )?(?:arrived|received|completed|processed|confirmed|sent)|still (?:processing|pending|not))|\b(?:didn'?t|did not|haven'?t|have not|not|never) (?:yet )?(?:receive|received|get|got)${W(20)}withdraw|未着|いつ(?:届|着金|反映)`,
  ),
  rule(
    'trading.transfer_missing',
    'trading',
    4,
    String.raw`(?:送っ|送金|送信|送った|移し|移動|\bsent\b|\btransferred\b|\bmoved\b)${W(30)}(?:届いて(?:い)?(?:ない|ません)|届かない|届きません|着いていない|反映され(?:ない|ません|ていない)|\bnot (?:arrived|received|showing|credited)|\b(?:hasn'?t|haven'?t|never) (?:arrived|been received|shown up|showed up|been credited))`,
    undefined,
    new RegExp(foldKana(String.raw`(?:再設定|リセット|確認|認証|登録|招待)(?:用の|の)?メール|\b(?:reset|confirmation|verification|activation) (?:e-?mail|link|mail)`)),
  ),
  rule(
    'trading.balance_mismatch',
    'trading',
    4,
    String.raw`残高${W(20)}(?:一致し|合わない|合いません|少ない|多い|おかしい|違う|違い|間違|ずれ|足りない|減っ)|一致しない|一致しません|不一致|合致しない|計算が(?:合わ|合い|おかし|違)|calculation (?:is )?(?:wrong|off|incorrect)|\b(?:wrong|incorrect|missing) (?:balance|amount|quantity)|\bbalance (?:is |looks )?(?:wrong|incorrect|off|short|less)|(?:doesn'?t|does not|don'?t|do not) match|\bmismatch|discrepanc`,
  ),
  rule(
    'trading.duplicate_transaction',
    'trading',
    4,
    String.raw`(?:${WITHDRAW}|注文|\border|${DEPOSIT}|\btrade)${W(20)}(?:二重|重複|2回|二回|\btwice\b|\bdouble\b|\bduplicate)|(?:二重|重複|\bduplicate|\bdouble)${W(10)}(?:${WITHDRAW}|注文|\border|入金)`,
    undefined,
    new RegExp(foldKana(String.raw`手数料|\bfees?\b`)),
  ),
  rule(
    'trading.waiting',
    'trading',
    4,
    String.raw`(?:${DEPOSIT}|${WITHDRAW}|反映|着金)${W(40)}(?:待って|待ち続|待たされ|\bwaiting\b|\bstill (?:nothing|not|no)\b)`,
  ),
  rule(
    'trading.still_waiting',
    'trading',
    3,
    String.raw`もう${W(8)}待って|待っているのですが|待っていますが|\b(?:been|still) waiting\b`,
    new RegExp(foldKana(String.raw`${WITHDRAW}|${DEPOSIT}|反映|送っ|\bsent\b`)),
  ),
  rule('trading.earn', 'trading', 1, String.raw`利息|金利|報酬|リワード|\binterest\b|\brewards?\b|ステーキング|staking|レンディング|lending|貸して増やす|貸暗号資産|積立`),
  rule('trading.not_credited', 'trading', 3, String.raw`(?:報酬|利息|リワード|配当|分配|ボーナス)${W(12)}(?:入って(?:い)?(?:ない|ません)|もらえて(?:い)?(?:ない|ません)|来て(?:い)?(?:ない|ません)|まだ)|\b(?:rewards?|interest|payouts?)\b${W(20)}\b(?:not (?:yet )?(?:received|paid|credited)|missing|haven'?t (?:arrived|been paid))|(?:付与され|支払われ|振り込まれ)(?:ていない|ていません|ない|ません)|\bnot (?:been )?(?:credited|paid(?: out)?)\b|(?:残高|balance)${W(10)}(?:表示され(?:ない|ていない|ていません|ません)|見当たらな|載って(?:い)?(?:ない|ません))`),
  rule('trading.expected_otherwise', 'trading', 2, String.raw`はずの|はずが|はずなのに|\bshould (?:have|be) (?:been )?(?:filled|credited|received|executed)`),
  rule('trading.history', 'trading', 2, String.raw`取引履歴|約定履歴|注文履歴|入出金履歴|trade history|order history|transaction history|\bcsv\b|\bfills\b`),
  rule(
    'trading.fee_problem',
    'trading',
    3,
    String.raw`手数料${W(20)}(?:高|二重|2重|多く|間違|おかし|違う|余分|二回|2回|マイナス|負の|正しい)|\bnegative fee|\b(?:charged|deducted)\b${W(30)}\b(?:twice|double|too much|more than|extra)\b|double[- ]charged|wrong fee|\bfees? (?:is |was |were )?(?:wrong|incorrect|higher|too high|twice)|overcharged|\bfees?\b${W(30)}\b(?:higher|more than|wrong|incorrect|too (?:high|much)|twice|double)\b|\bfees?\b${W(40)}\d(?:\.\d+)? ?%${W(20)}\bbut\b|手数料${W(20)}(?:表示と|記載と|と違|違い)`,
  ),
  rule('trading.fee', 'trading', 1, String.raw`手数料|\bfees?\b`),
  rule(
    'trading.misdirected_transfer',
    'trading',
    5,
    String.raw`(?:タグ|メモ)${W(8)}(?:忘れ|入れ忘れ|間違|なし|無し)|\bmemo\b${W(10)}(?:忘|forgot|missing|without)|\b(?:forgot|without|missing)\b${W(20)}\b(?:tag|memo)\b|\bwrong (?:network|address|chain|tag|memo|coin|token)\b|(?:間違(?:え|った)|誤って|誤った)${W(15)}(?:送|入金|アドレス|ネットワーク|チェーン|申請|入力)|誤送金|(?:送って|送金して|入金して|送信して)しま|\bby (?:mistake|accident)\b|\baccidentally sent\b|\b(?:bep20|erc20|trc20|bsc|polygon|arbitrum)\b${W(40)}(?:address|アドレス|to my|に送)|違うネットワーク|別のネットワーク|別チェーン|(?:ネットワーク|チェーン)${W(10)}(?:違|間違)|\b(?:on|via|over|using) (?:the )?(?:solana|ethereum|erc-?20|bep-?20|trc-?20|bsc|polygon|arbitrum|tron|base|optimism|avalanche)\b${W(40)}\b(?:solana|ethereum|erc-?20|bep-?20|trc-?20|bsc|polygon|arbitrum|tron|base|optimism|avalanche|bitcoin|btc|eth)\b${W(15)}address`,
  ),
  rule('trading.recovery', 'trading', 2, String.raw`戻せ|取り戻|返金|組み戻し|\brecover|\brefund|get (?:it|them) back|返還`),
  rule(
    'trading.bad_price',
    'trading',
    3,
    String.raw`far from|slippage|想定外の価格|想定より|unexpected price|値段で約定|スリッページ|不当な価格|異常な価格|おかしな価格|約定価格|価格がおかし|wrong price|bad price|\b(?:at|with) (?:a|the) (?:wrong|bad|strange|weird|unfair) price|ありえない価格`,
  ),
  rule(
    'trading.unexpected_execution',
    'trading',
    3,
    String.raw`キャンセルしたはず|取り消したはず|\bcancell?ed (?:order|it) (?:was |got )?(?:filled|executed)|(?:取り消され|キャンセルされ)(?:て|た|ま)|\b(?:were|was|got) cancell?ed\b|\borders? (?:were|was) (?:removed|deleted)`,
  ),
  rule(
    'trading.outage_consequence',
    'trading',
    3,
    String.raw`(?:障害|メンテ(?:ナンス)?|ダウン|落ちて)${W(6)}(?:のせいで|せいで|のため|中に|中の|の間|の影響で|によって|時に|時の|時間帯|最中)|(?:障害|メンテ(?:ナンス)?|エラー)で|\bdue to (?:an? |the )?(?:server |system )?error\b|\bduring the (?:outage|downtime|maintenance)\b|\bbecause of the (?:outage|downtime)\b`,
  ),
  rule('trading.compensation', 'trading', 3, String.raw`補償|賠償|\bcompensat|損失|大損|損をし|損した|\blost (?:money|\d)|\bloss(?:es)?\b`),
  rule(
    'trading.asset',
    'trading',
    1,
    String.raw`\b(?:btc|eth|xrp|ltc|usdt|usdc|bch|sol|doge|ada|dot|mona|xlm|jpy)\b|ビットコイン|イーサ|リップル|日本円|仮想通貨|暗号資産|\btxid\b|\btx ?hash\b|トランザクション|\bconfirmations?\b|承認数|explorer|エクスプローラ`,
  ),
  rule('trading.deposit', 'trading', 1, DEPOSIT),
  rule('trading.withdrawal', 'trading', 1, WITHDRAW),

  // --- regulatory ---
  rule('regulatory.terms', 'regulatory', 4, String.raw`利用規約|規約|約款|terms of (?:service|use)|\btos\b|\bterms\b|プライバシーポリシー|privacy policy|個人情報保護方針`),
  rule(
    'regulatory.change',
    'regulatory',
    3,
    String.raw`(?:規約|規制|法律|法令|ルール|ポリシー|policy|terms|税制|制度)${W(8)}(?:変更|改定|改正|変わ|改訂|新し|change|update|amend|revis)|(?:新しい|新)(?:規約|規制|ルール|法律)|\bnew (?:rules?|regulations?|restrictions?|requirements?|terms|laws?|policy)\b|改定|改正|改訂|義務化|義務付け|導入され|\bnew\b${W(30)}\b(?:rules?|regulations?|laws?|requirements?)\b|\bnow (?:require|required|mandatory)\b|\bmandatory\b`,
  ),
  rule(
    'regulatory.law',
    'regulatory',
    4,
    String.raw`法改正|法律|法令|法規制|規制|金融庁|\bj?fsa\b|資金決済法|金融商品取引法|金商法|犯収法|犯罪収益移転防止法|\bregulat(?:ion|ions|ory|or|ors)\b|anti-money laundering|\baml\b|マネーロンダリング|マネロン|\blaws?\b|legal requirement|\bcompliance\b|コンプライアンス|当局|\bauthorit(?:y|ies)\b|\bgovernment\b`,
  ),
  rule('regulatory.travel_rule', 'regulatory', 6, String.raw`トラベルルール|travel rule|通知義務`),
  rule('regulatory.travel_rule_info', 'regulatory', 4, String.raw`\bbeneficiary\b|recipient'?s (?:name|address|information)|受取人(?:の)?(?:氏名|名前|情報|住所)|送金先(?:の)?(?:氏名|名前|情報)`),
  rule('regulatory.tax_rules', 'regulatory', 3, String.raw`\btax (?:id|identification)|納税者番号|\bcarf\b|源泉徴収|税制|税法|課税|税率|\btax (?:treatment|rate|change)s?\b|マイナンバー|\bmy ?number\b|個人番号|\btax (?:law|rules?|reform|reporting|regulations?)\b|\bcrs\b|\bfatca\b`),
  rule(
    'regulatory.kyc_resubmission',
    'regulatory',
    4,
    String.raw`(?:本人確認|身分証|\bid documents?|identity documents?|identification|\bid\b|\bkyc\b|書類|\bdocuments?\b)${W(20)}(?:再提出|再度提出|再登録|やり直|出し直|re-?submit|resubmit|\bagain\b|\bupdate|再確認|更新)|(?:re-?submit|resubmit|再提出)${W(25)}(?:\bid\b|document|kyc|本人確認|書類)|(?:本人確認|kyc)${W(10)}(?:やり直|再)|再提出|\bre-?submi|(?:本人確認|\bkyc|\bekyc)${W(15)}(?:変わ|変更|新し)|新しい本人確認|\bekyc\b`,
  ),
  rule(
    'regulatory.delisting',
    'regulatory',
    4,
    String.raw`取扱(?:い)?(?:が|を)?終了|取り扱い(?:が|を)?終了|取扱廃止|取り扱い廃止|上場廃止|取扱い停止|\bdelist(?:ed|ing)?\b|no longer (?:be )?(?:supported|available|tradable)`,
  ),
  rule('regulatory.rules_topic', 'regulatory', 2, String.raw`\b(?:rules?|regulations?)\b|\b(?:due to|because of) (?:the )?(?:new )?\w+ (?:rules?|regulations?|laws?)\b`),
  rule('regulatory.license', 'regulatory', 4, String.raw`交換業|登録(?:が)?取り消|業務停止|業務改善命令|\blicen[cs]e\b|ライセンス|免許`),
  rule('regulatory.deadline', 'regulatory', 1, String.raw`期限|\bdeadline\b|by the end of`),
  rule(
    'regulatory.residency',
    'regulatory',
    4,
    String.raw`海外(?:に|へ)(?:移住|引っ越|転居|転勤|住)|\b(?:moved|moving|relocat(?:e|ed|ing)) (?:abroad|overseas|to another country)\b|\bnon-?resident\b|非居住|居住国|在留カード|外国籍|residence card|\bvisa\b|\b(?:my )?(?:country|region|jurisdiction) (?:is |has been )?(?:now )?(?:restricted|banned|not supported|unsupported)\b|対象外の国|\btax resid`,
  ),
  rule('regulatory.kyc_questions', 'regulatory', 4, String.raw`politically exposed|\bpeps?\b|重要な公人|反社会的勢力|source of (?:funds|wealth|income)|annual income|\bincome and assets\b|\boccupation\b|purpose of (?:trading|transactions?|use|the account)|年収|資産状況|金融資産|職業|勤務先|取引(?:の)?目的|利用目的|資金(?:の)?(?:出所|源)`),
  rule('regulatory.consent', 'regulatory', 2, String.raw`同意(?:しない|しなければ|する|が必要|ボタン)|\bagree to the\b|\bconsent to\b`),
  rule('regulatory.trading_limit', 'regulatory', 2, String.raw`取引上限|上限が設定|\blimits? (?:imposed|set) by\b`),

  // --- other ---
  rule(
    'other.how_to',
    'other',
    3,
    String.raw`方法|やり方|手順|仕方|どうすれば|どうやって|どうしたら|\bhow (?:do|can|should|to|does|is)\b|\bsteps? to\b|\bguide\b|\bwhat is\b|\bwhat'?s (?:a|an|the)\b|とは|ってなん|って何|\bwhat does\b|\bwhat should i\b`,
  ),
  rule('other.question', 'other', 1, String.raw`教えて|知りたい|ありますか|できますか|ですか|ますか|でしょうか|\?|^(?:can|could|do|does|is|are|will|would|should|may|what|why|when|where|which|how)\b`),
  rule('other.hypothetical', 'other', 2, HYPOTHETICAL.source),
  rule(
    'other.account_settings',
    'other',
    3,
    String.raw`(?:メールアドレス|メアド|電話番号|住所|氏名|登録情報|パスワード)(?:を|の)?${W(4)}(?:変更し|変えた|変更方法|変更したい)|\b(?:change|update) my (?:email|phone|address|name|password)\b|ダークモード|dark mode|英語表示|日本語表示|言語設定|\blanguage\b|解約|退会|\b(?:close|delete) my account\b|口座(?:の)?開設|法人口座|\bopen (?:an |a )?(?:corporate )?account\b|アフィリエイト|\baffiliate\b|紹介プログラム|\breferral\b|キャンペーン|\bcampaign\b|審査(?:には|に|は)?(?:どれくらい|どのくらい|時間|何日)|\bverification (?:takes|status)\b|通知設定|notification settings`,
  ),
  rule(
    'other.account_access',
    'other',
    3,
    String.raw`(?:ログイン|サインイン)(?:が)?(?:できな|できませ|できず|不可)|\b(?:can'?t|cannot|unable to) (?:log|sign) ?in\b|\blocked(?: out)?\b|ロックされ|ロックが|凍結され|\baccount (?:is |was |has been )?(?:frozen|locked|suspended)\b|\breset (?:email|link|mail)\b|再設定メールが届かない|${TWOFA}${W(15)}(?:なくし|紛失|機種変更|合わ(?:ない|ず)|通らない|使えない|届かない)|\blost my (?:phone|device|authenticator)\b|機種変更|${TWOFA}${W(20)}(?:\bempty\b|空に|空っぽ|消え|なくなっ|\bgone\b)|(?:スマホ|スマートフォン|携帯|端末|\bphone\b)${W(12)}(?:紛失|なくし|失くし|壊れ|壊し|故障|水没|割れ|落とし|\bbroke\b|\bbroken\b|\bdropped\b|\bdied\b|\bdead\b|\bfactory reset)|\bcodes? (?:is |are )?(?:not working|invalid|wrong|rejected)\b|(?:sms|コード|認証|\bcodes?\b)${W(20)}(?:届かない|届きません|来ない|来ません|\bnot (?:received|arriving)|\bnever (?:arrives?|came|comes))|\b(?:didn'?t|did not|don'?t|do not|can'?t|cannot) (?:receive|get)${W(10)}\b(?:sms|codes?|verification)\b`,
  ),
  rule('other.twofa_reset', 'other', 3, String.raw`${TWOFA}${W(10)}(?:リセット|解除|再設定|\breset\b|\bdisable\b|\bremove\b)|\breset (?:my )?${TWOFA}`),
  rule('other.forgot_password', 'other', 3, String.raw`パスワードを忘れ|パスワード忘れ|\bforgot (?:my )?password\b`),
  rule('other.feature_request', 'other', 3, String.raw`\bdo you (?:offer|have|support|provide)\b|(?:サービス|機能)(?:は|って)(?:ありますか|ある)|\bsupport for\b|\badd (?:support|a new|new)\b|\blisting\b|上場(?:して|予定|させて)|取り扱って(?:ほしい|欲しい)|取扱(?:い)?(?:予定|してほしい)|対応(?:して)?(?:ほしい|欲しい|予定)|機能(?:は|が)?(?:ありますか|欲しい|追加)|feature request|would be nice|please add`),
  rule('other.info', 'other', 3, String.raw`最小|最低|\bminimum\b|\bmaximum\b|いくらから|\bhow much is\b|\bwant to know\b|知りたい|について(?:質問|知りたい|教えて)`),
  rule('other.support_followup', 'other', 3, String.raw`\bhaven'?t heard back|\bno (?:response|reply|answer)s? (?:yet|from (?:you|support))|(?:返事|返信|回答|連絡)が(?:ない|来ない|来ません|まだ|ありません)|問い合わせ${W(10)}(?:返事|返信|回答)|審査${W(15)}(?:終わらない|終わりません|進まない|まだ)|\b(?:kyc|verification|documents?)\b${W(40)}\b(?:no response|still (?:pending|waiting|under review)|haven'?t heard)`),
  rule('other.api_docs', 'other', 3, String.raw`レート制限|rate limits?|仕様|ドキュメント|documentation|\bdocs\b|\bsdk\b`),
  rule('other.tax_documents', 'other', 2, String.raw`年間取引報告書|取引報告書|annual (?:trade |trading )?report|tax (?:document|statement|form)s?|確定申告|損益計算|tax return`),
  rule('other.safety_advice', 'other', 2, String.raw`秘密鍵|private key|バックアップ|\bbackup\b|seed phrase|シードフレーズ|安全(?:ですか|性|に)|\bis it safe\b|\bsafe to\b|\bprotect\b|守る|セキュリティ設定`),
];
