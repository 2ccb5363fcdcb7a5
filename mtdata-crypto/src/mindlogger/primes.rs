//! The ten 1024-bit primes of the MindLogger admin panels (reference §4.1: v1 `src/config.js`, v2
//! `encryption.config.js`); each applet's key lives in one of them, chosen at random when its password was set.

/// The primes as hexadecimal, in the admin panels' order (`config.primes[0..10]`).
const PRIMES_HEX: [&str; 10] = [
    "9151f79e3d12dbcae8e2d4ae6fb696027c838dd914f9c4bdc7c4cf5f0534a5b5f35725801fbb6b26228681a7c947ddb3eaceb89c9f9945ff5c5ed85c7bd54be59d642a8a7a2e73c5529616417a8f09010922120aefdf11716fcbf44a733d12d712a87b27ec12f4fdb56fd7dd6abc15062c5b963197da2749fe6ca0f95123a543",
    "a0c95eb3afbd7412ace56a8a004bc25d2e4204dced0428d8bbc45e7799cc197de0edae48690ca4406c7a26743a096567b870d0466b50a1b4d5576cbd7bdd87fba3eeead987b66769d85214a23f0b56b72e380a044da3998daede016f795bbc8cd0f714e89a97ff9da125003124addd96804287e9ea4e5c2f89d2da7040fd63f3",
    "b05478f038bd6e412e6ac47a15c93b910d572170ed2013f6d65049f75b590d253289f73edd3b72d4252af373bf4210caf737dcf02f7b95864b160306fce64ea36f4afafe8a9546176c7c9e499214d308c38ad840e8129915e3b2ffe73d64ed0565eba5bee62b8f6a8704c14447d55a276f40950ed642df57f14267498b3587c3",
    "8e35541a21d7ae52b29e412924987f8bc5545a6d674e5ec6952fe1e67382c2c851a86572623db14b05b191dde3a241a46caf8d87c3e70f3c80c285d04580fed7729ac69e6dd5bbd69ef9ce7a69b36703b67d2fb23128ae6cc8ea935ca65295bcc2cc38e8534a9b8065ffaead748feba09c0c7d88190c6b16a0108ad4a4ece0eb",
    "f09fbc6ab2c245144ebc4e156eb7d3b873656f28bea4c8ca59abee1be19748f42d3971351315a6ff689dd5897487b03bc709e364404b1e97ae69b589bd80f8d90a16df6b74f32d40e2971d30f0ac64512bc817431fdf38a93e08d45a90f47e6a2eeb258e84eecb1c20783ae688e3340c4247b625ae3a5dda5efbd519386da30b",
    "f6193e3903d3c93c2dc99601beee4c664afb2e944d1daa3af4690862d29785a9f6175278e523934ad504489188e9208925e0f3058b04a0a695f4d4dbe0f7d6b5a7a66c56226f12d1635700b0d24f10d8bf2c3784d619f57c62e4f0857059a92f97f7fa39dda10e6d93a2b35f33919312c330be4a581a841942ec67946588eac3",
    "bcdf09954055fabb2e2b078d62f2d95ca5e0b5e9d7084eda845ccdd944689c95cb9a628771d81b7fb6b2144d375a2322b1fd21815b98dd5bafce77d3e4997ddbe7ffcf54171f7cd85fcfe4904a723c2c8bc0a75909e3649bc851790821bd74327f3e3c7ffac319fc70ac89b7d502cf31a1b941d3152ce9bc8f0d2c4e3e4eea73",
    "e61b3b69f345aba883e8ecf34f7e243dc4d3a5bd0b61db1cb87d7c57bbeb628519f34f092d1558e732ee963a1a3462b1c7489bffb1a5cc82b8bfab463ff990ea615b589b74782e9566b5a192488a5811e03538bca76c32dc10c343f8dd2bd0dfec6155c8917d4712a1f2c4d2f3a79fd80b240073e8d2e3e6d802d21d7b4d7a0b",
    "94bb9b5a394290039a71ce0887f631beb72f34940849eaccd2d350eaf57d45f79c0f14da88e2a70e2f8765d5c019ed71bb67071cf977d55bfb84984aa8e274b6c5f2e6a48a020aa5afec227c217ef0cfa1d33288b8a5a821bb23b8c634fb0ed9bcf9441260256652dbe9009325cadfc80fd1f211c46e7d927583f72549e86573",
    "fdf85a78d8f61f00e286acf85a7e2aaa87205ca7eeef4ade3f8dba13678168078dd1530ee9c7e4ba33f39a8314583e6e0062a6b3301efb9e682bba06b661ab484341818f5f8bc406cb313ea1fd87bf3c4769e5442721cc5298f9ed0b6ed0f5a233e7df80d8dc4fb4b5f4f92bbf93f685aef7ec9a49e792f8c215909a69657b5b",
];

/// The ten primes, big-endian. An applet stores its own; these serve answers under a previous owner's key,
/// whose applet encryption (and so prime) the server no longer holds.
pub fn mindlogger_primes() -> [Vec<u8>; 10] {
    PRIMES_HEX.map(|hex| {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("the primes are hexadecimal"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mindlogger::official;

    #[test]
    fn ten_primes_of_1024_bits_including_the_official_applets() {
        let primes = mindlogger_primes();
        assert!(
            primes
                .iter()
                .all(|p| p.len() == 128 && p[0] >= 0x80 && p[127] % 2 == 1)
        );
        assert_eq!(
            primes[8],
            official::encryption().prime,
            "the admin mock uses prime #8"
        );
        let firsts: Vec<String> = primes
            .iter()
            .map(|p| format!("{:02x}{:02x}{:02x}{:02x}", p[0], p[1], p[2], p[3]))
            .collect();
        assert_eq!(
            firsts.join(" "),
            "9151f79e a0c95eb3 b05478f0 8e35541a f09fbc6a f6193e39 bcdf0995 e61b3b69 94bb9b5a fdf85a78"
        );
    }
}
