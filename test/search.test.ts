import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadStarterArticles } from '../src/help/articles/starter-set.ts';
import {
  evaluateSearch,
  formatSearchReport,
  loadSearchQueries,
  MIN_MRR,
  unknownExpectations,
} from '../src/help/search/evaluate.ts';
import { bestWindow, EXCERPT_MAX_CHARS, EXCERPT_MAX_WINDOWS, splitSentences } from '../src/help/search/excerpt.ts';
import { articleToSearchDoc } from '../src/help/search/from-articles.ts';
import { createArticleSearch, MAX_QUERY_CHARS, type SearchDoc } from '../src/help/search/index.ts';
import { kanjiNumeralToNumber, normalizeText } from '../src/help/search/normalize.ts';
import { fileURLToPath } from 'node:url';
import type { Lang } from '../src/web/i18n.ts';

const doc = (slug: string, lang: Lang, title: string, body: string, keywords: string[] = []): SearchDoc => ({
  slug,
  lang,
  title,
  keywords,
  category: 'emergency',
  body,
});

/** A small corpus where each article is the only one with its subject, so the expected first hit is certain. */
function syntheticCorpus(): SearchDoc[] {
  return [
    doc('withdrawal-pending', 'ja', '出金が届かないとき', '出金の申請が処理中のまま進まない場合は、ネットワークの混雑やメンテナンスを確認してください。'),
    doc('kanji-2fa', 'ja', 'セキュリティを強くする', 'アカウントを守るため、二段階認証を有効にしてください。認証アプリのコードが必要になります。'),
    doc('login', 'ja', 'ログインできないとき', 'メールアドレスとパスワードを確かめてください。できない場合はお問い合わせください。'),
    doc('api', 'ja', 'APIキーの管理', '自動売買に使うキーは、必要な権限だけを付けて発行します。'),
    doc('wallet', 'ja', 'ウォレットのバックアップ', 'サーバーに預けない資産は、自分で復元フレーズを保管します。'),
    doc('deposit', 'ja', '入金が反映されないとき', '銀行からの振込が反映されるまでには時間がかかることがあります。'),
    doc('digit-2fa', 'en', 'Protect your account', 'Turn on 2FA so that a password alone cannot open your account.'),
    doc('en-withdrawal', 'en', 'My withdrawal is late', 'A withdrawal can wait in processing while the network is busy.'),
    doc('en-login', 'en', 'Trouble signing in', 'Check your email address and password, then try to sign in again.'),
  ];
}

const slugs = (hits: { slug: string }[]) => hits.map((h) => h.slug);
const COLLOQUIAL_DEV_FILE = fileURLToPath(new URL('../eval/search/colloquial-dev.json', import.meta.url));

describe('normalisation', () => {
  test('width, case, kanji numerals and the 2FA synonyms fold to one form', () => {
    const folded = normalizeText('2段階認証', 'ja');
    assert.equal(normalizeText('二段階認証', 'ja'), folded);
    assert.equal(normalizeText('２段階認証', 'ja'), folded);
    assert.equal(normalizeText('ＡＰＩ', 'ja'), normalizeText('api', 'ja'));
    assert.equal(normalizeText('2FA', 'ja', 'query'), folded);
    assert.equal(normalizeText('two-factor', 'en', 'query'), normalizeText('2FA', 'en', 'query'));
  });

  test('katakana, half-width katakana and hiragana fold together; long vowels and small kana too', () => {
    assert.equal(normalizeText('ログイン', 'ja'), normalizeText('ろぐいん', 'ja'));
    assert.equal(normalizeText('ﾛｸﾞｲﾝ', 'ja'), normalizeText('ログイン', 'ja'));
    assert.equal(normalizeText('サーバー', 'ja'), normalizeText('サーバ', 'ja'));
    assert.equal(normalizeText('パスワ-ド', 'ja'), normalizeText('パスワード', 'ja'));
    assert.equal(normalizeText('ウォレット', 'ja'), normalizeText('ウオレット', 'ja'));
  });

  test('kanji numerals become digits before a counter only', () => {
    assert.equal(kanjiNumeralToNumber('十二'), 12);
    assert.equal(kanjiNumeralToNumber('二十'), 20);
    assert.equal(kanjiNumeralToNumber('二〇二六'), 2026);
    assert.equal(normalizeText('三回', 'ja'), '3回');
    assert.equal(normalizeText('十分に注意', 'ja'), '十分に注意'); // "enough", not ten minutes
    assert.equal(normalizeText('統一', 'ja'), '統一');
  });

  test('a katakana synonym does not fire inside a longer katakana word', () => {
    assert.notEqual(normalizeText('ブロック', 'ja', 'query'), normalizeText('ブ凍結', 'ja', 'query'));
    assert.equal(normalizeText('ロック', 'ja', 'query'), normalizeText('凍結', 'ja', 'query'));
  });

  test('punctuation and control characters are separators, markup is just letters', () => {
    assert.equal(normalizeText('出金\u0000\u202e！？', 'ja').trim().replace(/[!?\s]/g, ''), '出金');
    assert.match(normalizeText('<script>alert(1)</script>', 'en'), /script/);
  });
});

describe('search over a small corpus', () => {
  const search = createArticleSearch(syntheticCorpus());

  test('「出金できない」 finds the article on pending withdrawals first', () => {
    assert.equal(search.search('出金できない', { lang: 'ja' })[0]?.slug, 'withdrawal-pending');
  });

  test('「2段階認証」, 「２段階認証」 and 「2FA」 find an article that only says 「二段階認証」', () => {
    for (const q of ['2段階認証', '２段階認証', '2FA', '２ＦＡ', '二段階認証']) {
      assert.equal(search.search(q, { lang: 'ja' })[0]?.slug, 'kanji-2fa', q);
    }
  });

  test('「二段階認証」 and "two-factor" find an article that only says "2FA" (and the digit form)', () => {
    const s = createArticleSearch([doc('digit-2fa-ja', 'ja', '設定', '2段階認証を使ってください。'), doc('other', 'ja', 'その他', '取引の履歴について。')]);
    assert.equal(s.search('二段階認証', { lang: 'ja' })[0]?.slug, 'digit-2fa-ja');
    assert.equal(search.search('two-factor authentication', { lang: 'en' })[0]?.slug, 'digit-2fa');
    assert.equal(search.search('two factor', { lang: 'en' })[0]?.slug, 'digit-2fa');
  });

  test('full-width ＡＰＩ finds API and half-width finds full-width', () => {
    assert.equal(search.search('ＡＰＩ', { lang: 'ja' })[0]?.slug, 'api');
    const s = createArticleSearch([doc('fw', 'ja', 'ＡＰＩの使い方', '自動売買の設定。'), doc('x', 'ja', '入金', '振込について。')]);
    assert.equal(s.search('api', { lang: 'ja' })[0]?.slug, 'fw');
  });

  test('hiragana and half-width katakana find katakana words', () => {
    assert.equal(search.search('ろぐいん', { lang: 'ja' })[0]?.slug, 'login');
    assert.equal(search.search('ﾛｸﾞｲﾝ', { lang: 'ja' })[0]?.slug, 'login');
    assert.equal(search.search('さーば', { lang: 'ja' })[0]?.slug, 'wallet');
    assert.equal(search.search('ウオレット', { lang: 'ja' })[0]?.slug, 'wallet');
  });

  test('synonyms and spelling variants: 引き出し → 出金, サインイン → ログイン, ログイン出来ない', () => {
    assert.equal(search.search('引き出し', { lang: 'ja' })[0]?.slug, 'withdrawal-pending');
    assert.equal(search.search('サインイン', { lang: 'ja' })[0]?.slug, 'login');
    assert.equal(search.search('ログイン出来ない', { lang: 'ja' })[0]?.slug, 'login');
    assert.equal(search.search('着金しない', { lang: 'ja' })[0]?.slug, 'deposit');
  });

  test('English: plurals, inflections and a misspelling', () => {
    assert.equal(search.search('withdrawals', { lang: 'en' })[0]?.slug, 'en-withdrawal');
    assert.equal(search.search('withdrawl', { lang: 'en' })[0]?.slug, 'en-withdrawal');
    assert.equal(search.search("can't log in", { lang: 'en' })[0]?.slug, 'en-login');
  });

  test('results are limited to the asked language and count', () => {
    assert.deepEqual(slugs(search.search('withdrawal', { lang: 'ja' })), []);
    assert.ok(search.search('出金', { lang: 'en' }).every((h) => h.lang === 'en'));
    assert.equal(search.search('できない', { lang: 'ja', limit: 1 }).length, 1);
    assert.equal(search.size, 9);
  });

  test('the excerpt is plain text of at most 160 characters around the match', () => {
    const long = `${'前置きの文章です。'.repeat(30)}出金の保留は二十四時間で解除されます。${'後ろの文章です。'.repeat(30)}`;
    const s = createArticleSearch([doc('long', 'ja', '長い記事', long), doc('x', 'ja', '別の記事', '関係のない話。')]);
    const [hit] = s.search('出金 保留', { lang: 'ja' });
    assert.ok(hit);
    assert.ok([...hit.excerpt].length <= EXCERPT_MAX_CHARS, hit.excerpt);
    assert.match(hit.excerpt, /出金の保留/);
    const oneSentence = `${'とても長い一文で、'.repeat(40)}ここで出金の保留が解除されます${'、そしてさらに続きます'.repeat(20)}。`;
    const s2 = createArticleSearch([doc('long', 'ja', '長い記事', oneSentence), doc('x', 'ja', '別', '話。')]);
    const [cut] = s2.search('出金の保留', { lang: 'ja' });
    assert.ok(cut && [...cut.excerpt].length <= EXCERPT_MAX_CHARS, cut?.excerpt);
    assert.match(cut.excerpt, /出金の保留/);
    assert.match(cut.excerpt, /^….*…$/);
  });
});

describe('huge and pathological text', () => {
  test('a 50,000-character run of kanji numerals is indexed and left as written (not Infinity)', () => {
    const numerals = '一'.repeat(50_000);
    const folded = normalizeText(`${numerals}回`, 'ja');
    assert.doesNotMatch(folded, /infinity/i, 'a run too long to be a number stays letters');
    assert.equal(folded, `${numerals}回`);
    assert.equal(normalizeText('二〇二六年と十二回', 'ja'), '2026年と12回', 'ordinary numerals still fold');
    const search = createArticleSearch([doc('numerals', 'ja', '漢数字だらけ zqnumerals', numerals), doc('x', 'ja', '別の記事', '関係のない話。')]);
    search.upsert(doc('numerals2', 'ja', '漢数字と回数 zqnumerals', `${'二'.repeat(50_000)}回`));
    assert.deepEqual(slugs(search.search('zqnumerals', { lang: 'ja' })).sort(), ['numerals', 'numerals2']);
  });

  test('a 50,000-character single sentence: the excerpt finds the term at its end and folds only a few windows', () => {
    const sentence = `${'あいうえおかきくけこ'.repeat(4_999)}出金の保留`;
    const [prepared] = splitSentences(sentence, 'ja');
    assert.ok(prepared && prepared.raw.length === 50_000 - 10 + 5, 'one sentence');
    let folds = 0;
    const counting = (text: string, lang: Lang) => {
      folds++;
      return normalizeText(text, lang);
    };
    const excerpt = bestWindow(prepared, [{ term: normalizeText('出金', 'ja'), weight: 2 }, { term: normalizeText('保留', 'ja'), weight: 1 }], 'ja', counting);
    assert.match(excerpt, /出金の保留$/);
    assert.ok([...excerpt].length <= EXCERPT_MAX_CHARS);
    assert.ok(folds <= EXCERPT_MAX_WINDOWS, `${folds} windows folded`);
    // Through the index, a match the cheap folding cannot place (a synonym) still gives an excerpt in bounds.
    const s = createArticleSearch([doc('one', 'ja', '長い一文', `${'かきくけこ'.repeat(10_000)}引き出しの保留`), doc('x', 'ja', '別', '話。')]);
    const [hit] = s.search('出金', { lang: 'ja' });
    assert.ok(hit && [...hit.excerpt].length <= EXCERPT_MAX_CHARS, hit?.excerpt);
  });
});

describe('Japanese as people type it on a phone', () => {
  /** Each article is the only one with its subject; the words a test relies on appear nowhere else. */
  const phoneCorpus = (): SearchDoc[] => [
    doc('withdrawal', 'ja', '出金が届かないとき', '出金の申請が処理中のまま進まない場合は、ネットワークの混雑を確認してください。'),
    doc('deposit', 'ja', '入金が反映されないとき', '銀行からの振込が反映されるまでには時間がかかります。'),
    doc('wrong-address', 'ja', '宛先を間違えたとき', '違うアドレスに送る前に、宛先をもう一度確かめてください。'),
    doc('slow-app', 'ja', 'アプリの動作が遅いとき', 'アプリが遅い場合は、再起動してください。'),
    doc('account-lock', 'ja', 'アカウントの凍結', '不審な操作があると、アカウントを凍結することがあります。'),
    doc('outage', 'ja', 'サーバーが落ちているとき', 'サーバーが落ちている間は、状況ページでお知らせします。'),
    doc('login', 'ja', 'ログインできないとき', 'メールアドレスとパスワードを確かめてください。'),
    doc('activity-log', 'ja', '操作の記録を見る', '設定画面の操作ログで、いつ何をしたかを確認できます。'),
    doc('blockchain', 'ja', '承認数とは', 'ブロックチェーンの承認が進むまで、送金は確定しません。'),
    doc('memo', 'ja', '宛先タグの付け忘れ', '送金のときメモを付け忘れた場合は、サポートに連絡してください。'),
    doc('memory', 'ja', '端末の空き容量', 'メモリが足りないと、動作が不安定になります。'),
  ];
  const search = createArticleSearch(phoneCorpus());
  const first = (q: string) => search.search(q, { lang: 'ja' })[0]?.slug;
  /** Each query finds its article first: [query, article, why]. */
  const findsFirst = (cases: readonly (readonly [string, string, string?])[]) => {
    for (const [q, slug, why] of cases) assert.equal(first(q), slug, why ?? q);
  };

  test('a query typed all in hiragana finds the article written in kanji', () => {
    findsFirst([
      ['しゅっきん', 'withdrawal'],
      ['しゅっきんできない', 'withdrawal'],
      ['にゅうきんされない', 'deposit'],
      ['ふりこみ はんえい', 'deposit'],
    ]);
  });

  test('a word typed in katakana that the articles write in kanji is that word, not letters inside another word', () => {
    const s = createArticleSearch([
      doc('withdrawal', 'ja', '出金が届かないとき', '出金の申請が処理中のまま進まない場合は、しばらくお待ちください。'),
      doc('takeover', 'ja', 'ハッキングが疑われるとき', 'ハッキングの疑いがあるときは、ハッキングの被害を広げないよう、すぐにパスワードを変えてください。'),
      doc('login', 'ja', 'ログインできないとき', 'ログイン画面でメールアドレスを確かめてください。'),
    ]);
    const top = (q: string) => s.search(q, { lang: 'ja' })[0]?.slug;
    // Without the rule, シュッキン's bigrams っき and きん find ハッキング three times over.
    assert.equal(top('シュッキン'), 'withdrawal');
    assert.equal(top('ｼｭｯｷﾝ ﾏﾀﾞ'), 'withdrawal', 'half-width too');
    assert.equal(top('ハッキング'), 'takeover', 'a katakana word of the articles keeps its letters');
    assert.equal(top('ﾛｸﾞｲﾝ'), 'login');
  });

  test('the excerpt of a hiragana query quotes the sentence with the kanji word', () => {
    assert.match(search.search('しゅっきん', { lang: 'ja' })[0]!.excerpt, /出金の申請/);
  });

  test('a verb or adjective in another form than the article’s still finds it', () => {
    findsFirst([
      ['送っちゃった', 'wrong-address', 'the article says 送る'],
      ['届きません', 'withdrawal', 'the article says 届かない'],
      ['まだ届いてないんだけど', 'withdrawal'],
      ['とどいてない', 'withdrawal', 'in hiragana too'],
      ['遅かった', 'slow-app', 'the article says 遅い'],
    ]);
  });

  test('slang, dialect and a wrong kanji conversion reach the article', () => {
    findsFirst([
      ['垢BANされた', 'account-lock'],
      ['鯖落ち？', 'outage'],
      ['出勤できない', 'withdrawal', '出勤 is how しゅっきん often comes out of the IME'],
      ['ログインできへん', 'login'],
      ['入金が繁栄されない', 'deposit', '繁栄 sounds like 反映'],
    ]);
  });

  test('kana typed with a voicing mark missing or extra still spells the word', () => {
    findsFirst([
      ['ロクインてきない', 'login', 'ロクイン for ログイン, てきない for できない'],
      ['しゅつきん', 'withdrawal', 'small っ typed full size is folded already'],
      ['ふりこみ はんええ', 'deposit', 'a wrong vowel is no voicing typo: the bigrams still find it'],
      ['ろくいん', 'login', 'in hiragana too'],
      ['ふりごみ', 'deposit', 'an extra mark: ふりごみ for ふりこみ (振込)'],
    ]);
  });

  test('Japanese typed in romaji is read as the kana it spells; Latin words the index knows stay', () => {
    findsFirst([
      ['shukkin', 'withdrawal'],
      ['shukkin dekinai', 'withdrawal'],
      ['ＦＵＲＩＫＯＭＩ', 'deposit', 'full-width romaji too'],
    ]);
    const withLatin = createArticleSearch([
      doc('api', 'ja', 'APIキーの管理', 'APIキーは漏れないように保管してください。'),
      doc('lock', 'ja', 'アカウントロック', 'アピールではありません。ロックの解除について。'),
    ]);
    assert.equal(withLatin.search('api', { lang: 'ja' })[0]?.slug, 'api', 'api is a word of the index, not あぴ');
    const english = createArticleSearch([
      doc('outage', 'ja', 'システム障害のとき', '障害（outage）の間は状況ページをご覧ください。'),
      doc('other', 'ja', 'おうちで使う', 'たげいの話。'),
    ]);
    assert.equal(english.search('outage', { lang: 'ja' })[0]?.slug, 'outage', 'indexed stemmed as outag: still a word of the index, not おうたげ');
    assert.equal(first('垢BAN'), 'account-lock', 'written onto Japanese: slang, not the romaji ばん');
    assert.deepEqual(slugs(search.search('2fa', { lang: 'ja' })), [], 'a word with digits is no romaji');
    // (That alone could not fail: nothing above says 2FA. Here the article does, and only as a word with digits.)
    const twoFactor = createArticleSearch([
      doc('two-factor', 'ja', '２ＦＡの設定', '2FAを有効にしてください。'),
      doc('fans', 'ja', 'ファンの皆さまへ', 'ふぁんの集いのお知らせ。'),
    ]);
    assert.equal(twoFactor.search('２ＦＡ', { lang: 'ja' })[0]?.slug, 'two-factor', 'not ２ + ふぁ');
  });

  test('what the user did not do, said the way people say it, reaches the takeover article', () => {
    const s = createArticleSearch([
      doc('takeover', 'ja', 'アカウントが乗っ取られたかもしれない', '身に覚えのない注文やログインがあれば、すぐにロックしてください。'),
      doc('order-stuck', 'ja', '注文が約定しない', '指値の注文が入っているのに約定しない理由を説明します。'),
      doc('takeover-en', 'en', 'Someone else may be in my account', 'An order or a withdrawal you did not make means someone may have your password.'),
      doc('coins', 'en', 'I sent coins to the wrong network', 'Coins sent on the wrong network can sometimes be recovered.'),
      doc('stolen', 'en', 'My crypto was stolen', 'If crypto was stolen from your account, lock it now.'),
      doc('crypto-1', 'en', 'Crypto deposits', 'How crypto deposits arrive.'),
      doc('crypto-2', 'en', 'Crypto fees', 'What crypto withdrawals cost.'),
    ]);
    assert.equal(s.search('自分じゃない注文 入ってる', { lang: 'ja' })[0]?.slug, 'takeover');
    assert.equal(s.search('注文 入ってる', { lang: 'ja' })[0]?.slug, 'order-stuck', 'without it, the order article');
    assert.equal(s.search('random order not mine', { lang: 'en' })[0]?.slug, 'takeover-en');
    assert.equal(s.search('my coins got stolen', { lang: 'en' })[0]?.slug, 'stolen', 'coins are the user\'s crypto: stolen decides');
  });

  test('a short katakana word is not found inside a longer, unrelated word', () => {
    assert.deepEqual(slugs(search.search('ログ', { lang: 'ja' })), ['activity-log'], 'not ログイン');
    assert.deepEqual(slugs(search.search('メモ', { lang: 'ja' })), ['memo'], 'not メモリ');
    const locks = createArticleSearch([
      doc('lock', 'ja', 'アカウントロックの解除', 'ロックされたアカウントは、本人確認の後に解除します。'),
      doc('chain', 'ja', '承認数とは', 'ブロックチェーンのブロックが積み重なると確定します。'),
    ]);
    assert.deepEqual(slugs(locks.search('ロック', { lang: 'ja' })), ['lock'], 'not ブロック');
    assert.deepEqual(slugs(locks.search('ろっく', { lang: 'ja' })), ['lock'], 'typed in hiragana: ロック, still not ブロック');
  });

  test('a rare word that decides the question beats a common word of other articles’ titles', () => {
    const s = createArticleSearch([
      doc('set-up-2fa', 'ja', '二段階認証を設定する', '認証アプリを入れて、二段階認証を有効にします。'),
      doc('sms-or-app', 'ja', '二段階認証はSMSと認証アプリのどちらが安全か', 'SMSより認証アプリの二段階認証をおすすめします。'),
      doc('new-phone', 'ja', '機種変更の前に二段階認証を移す', '機種変更の前に、認証アプリのデータを新しいスマホへ移します。'),
      doc('lost-2fa', 'ja', 'コードが使えないとき', '認証アプリが消えた、スマホをなくした場合は、リカバリーコードでログインします。'),
      doc('withdrawal', 'ja', '出金が届かないとき', '出金の申請が処理中のまま進まない場合は確認してください。'),
    ]);
    for (const q of ['認証アプリ消えた', '二段階認証のアプリが消えた']) {
      assert.equal(s.search(q, { lang: 'ja' })[0]?.slug, 'lost-2fa', `${q}: 消えた decides, not the 認証アプリ of every title`);
    }
  });

  test('queries without Japanese and English articles are not analysed as Japanese', () => {
    const s = createArticleSearch(syntheticCorpus());
    assert.equal(s.search('withdrawal late', { lang: 'en' })[0]?.slug, 'en-withdrawal');
    assert.equal(s.search('API', { lang: 'ja' })[0]?.slug, 'api');
  });
});

describe('staff edits: upsert and remove without a rebuild', () => {
  test('a new article is found at once, an edit replaces its old words, a removal hides it', () => {
    const search = createArticleSearch(syntheticCorpus());
    assert.deepEqual(slugs(search.search('確定申告', { lang: 'ja' })), []);

    search.upsert(doc('taxes', 'ja', '確定申告の準備', '年間の取引報告書をダウンロードして保存します。'));
    assert.equal(search.search('確定申告', { lang: 'ja' })[0]?.slug, 'taxes');
    assert.equal(search.size, 10);

    search.upsert(doc('taxes', 'ja', '取引記録の保存', '取引履歴をCSVで保存します。'));
    assert.deepEqual(slugs(search.search('確定申告', { lang: 'ja' })), []);
    assert.equal(search.search('取引記録', { lang: 'ja' })[0]?.slug, 'taxes');
    assert.equal(search.size, 10, 'an edit replaces, it does not add');

    search.remove('taxes', 'ja');
    assert.deepEqual(slugs(search.search('取引記録', { lang: 'ja' })), []);
    assert.equal(search.size, 9);
    search.remove('taxes', 'ja'); // twice is harmless
    search.remove('taxes', 'en'); // the other language version is separate
    assert.equal(search.size, 9);

    search.upsert(doc('taxes', 'en', 'Tax records', 'Download your yearly trade report.'));
    assert.equal(search.search('tax', { lang: 'en' })[0]?.slug, 'taxes');
    assert.deepEqual(slugs(search.search('tax', { lang: 'ja' })), []);
  });

  test('removing the only article with a word forgets the word (no stale spelling corrections)', () => {
    const search = createArticleSearch([doc('a', 'en', 'Allowlist', 'Save addresses first.'), doc('b', 'en', 'Other', 'Nothing here.')]);
    assert.equal(search.search('alowlist', { lang: 'en' })[0]?.slug, 'a');
    search.remove('a', 'en');
    assert.deepEqual(search.search('alowlist', { lang: 'en' }), []);
    assert.deepEqual(search.search('allowlist', { lang: 'en' }), []);
  });
});

describe('bad queries', () => {
  const search = createArticleSearch(syntheticCorpus());

  test('empty, whitespace-only and punctuation-only queries give no results', () => {
    for (const q of ['', ' ', '\u3000\t\n', '！？。、', '\u0000\u0001']) assert.deepEqual(search.search(q, { lang: 'ja' }), [], JSON.stringify(q));
  });

  test('a huge query is cut to its first characters instead of being searched whole', () => {
    const huge = `出金${'あ'.repeat(110_000)}ログイン`;
    assert.ok(huge.length > 100 * 1024);
    const hits = search.search(huge, { lang: 'ja' });
    assert.equal(hits[0]?.slug, 'withdrawal-pending');
    assert.ok(!slugs(hits).includes('login'), 'words after the first characters are ignored');
    assert.deepEqual(search.search(`${'を'.repeat(MAX_QUERY_CHARS)}ログイン`, { lang: 'ja' }), []);
    assert.equal(search.search(`${' '.repeat(100_000)}ログイン`, { lang: 'ja' })[0]?.slug, 'login', 'leading blanks do not count');
  });

  test('a query with hundreds of distinct words still answers', () => {
    const many = Array.from({ length: 500 }, (_, i) => `word${i}`).join(' ');
    assert.deepEqual(search.search(many, { lang: 'en' }), []);
  });

  test('script tags, control characters and broken surrogates are just text', () => {
    assert.equal(search.search('出金\u0000\u202eできない<script>', { lang: 'ja' })[0]?.slug, 'withdrawal-pending');
    assert.deepEqual(search.search('<script>alert(1)</script>', { lang: 'en' }), []);
    assert.doesNotThrow(() => search.search('\ud800出金\udfff', { lang: 'ja' }));
    const s = createArticleSearch([doc('odd', 'en', 'About <b>tags</b>', 'Text with <script>alert(1)</script> inside.'), doc('x', 'en', 'Other', 'Nothing.')]);
    const [hit] = s.search('script', { lang: 'en' });
    assert.equal(hit?.slug, 'odd');
    assert.equal(hit.excerpt, 'Text with <script>alert(1)</script> inside.', 'the excerpt quotes the text; escaping is the renderer’s job');
  });

  test('a silly limit is clamped', () => {
    assert.ok(search.search('できない', { lang: 'ja', limit: 0 }).length <= 1);
    assert.ok(search.search('できない', { lang: 'ja', limit: Number.NaN }).length <= 5);
    assert.ok(search.search('できない', { lang: 'ja', limit: 1e9 }).length <= 50);
  });
});

describe('starter articles and the query set', () => {
  const articles = loadStarterArticles();
  const search = createArticleSearch(articles.map(articleToSearchDoc));

  test('「出金できない」 → the pending-withdrawal article first', () => {
    assert.equal(search.search('出金できない', { lang: 'ja' })[0]?.slug, 'withdrawal-pending');
  });

  test('「2段階認証」 and 「二段階認証」 both put the set-up article in the top 3', () => {
    for (const q of ['2段階認証 設定', '二段階認証 設定', '２ＦＡ 設定']) {
      assert.ok(slugs(search.search(q, { lang: 'ja', limit: 3 })).includes('set-up-2fa'), q);
    }
  });

  test(`eval/search-queries.json: MRR@5 >= ${MIN_MRR}`, () => {
    const cases = loadSearchQueries();
    assert.ok(cases.length >= 70, `${cases.length} queries`);
    assert.ok(cases.filter((c) => c.lang === 'ja').length >= 45);
    assert.ok(cases.filter((c) => c.lang === 'en').length >= 20);
    const known = { ja: new Set<string>(), en: new Set<string>() };
    for (const a of articles) known[a.lang].add(a.slug);
    assert.deepEqual(unknownExpectations(cases, known), []);
    const result = evaluateSearch(search, cases);
    assert.ok(result.overall.mrr >= MIN_MRR, formatSearchReport(result));
  });

  test('eval/search/colloquial-dev.json (queries as typed on a phone): every expected article exists, MRR@5 >= 0.9', () => {
    const cases = loadSearchQueries(COLLOQUIAL_DEV_FILE);
    const known = { ja: new Set<string>(), en: new Set<string>() };
    for (const a of articles) known[a.lang].add(a.slug);
    assert.deepEqual(unknownExpectations(cases, known), []);
    const result = evaluateSearch(search, cases);
    assert.ok(result.byLang.ja.mrr >= 0.9 && result.byLang.en.mrr >= 0.9, formatSearchReport(result));
  });
});
