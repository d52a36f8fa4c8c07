/**
 * The sacreBLEU release whose definitions our BLEU and chrF follow, and whose output the test fixtures froze
 * (test/fixtures/sacrebleu/). It ends every signature, as sacreBLEU's own version does, so a signature printed
 * here reads the same as the one sacreBLEU prints for the same settings and the scores can be compared.
 */
export const MT_SIGNATURE_VERSION = '2.6.0';
