/**
 * SipHash-2-4-128 of the bytes 00 01 02 … (n-1) under the key 00 01 … 0f: the reference implementation's vectors
 * (vectors_sip128 in github.com/veorq/SipHash), as libsodium's crypto_shorthash_siphashx24 also computes them.
 */
export const VECTORS: Array<[number, string]> = [
  [0, 'a3817f04ba25a8e66df67214c7550293'],
  [1, 'da87c1d86b99af44347659119b22fc45'],
  [7, 'a1f1ebbed8dbc153c0b84aa61ff08239'],
  [8, '3b62a9ba6258f5610f83e264f31497b4'],
  [9, '264499060ad9baabc47f8b02bb6d71ed'],
  [15, '5493e99933b0a8117e08ec0f97cfc3d9'],
  [16, '6ee2a4ca67b054bbfd3315bf85230577'],
  [17, '473d06e8738db89854c066c47ae47740'],
  [31, '2939b0183223fafc1723de4f52c43d35'],
  [63, '5150d1772f50834a503e069a973fbd7c'],
  [64, '1eaf077dc0d4cd3f8cad4d383658a74b'],
  [100, '39732dd009be17338297c6358fe5e6d9'],
];
