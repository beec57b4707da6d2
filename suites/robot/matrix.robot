*** Settings ***
Documentation     The 15 must-pass items (ota-requirements §5) on both chips, data-driven: each
...               row runs one case of ``hil.matrix.runner.CASES`` (the table ``hil matrix``
...               and suites/test_matrix.py use) on a fresh emulated target and judges the
...               device's own evidence with the item's predicate.
...
...               One case per item keeps the run modest (the other variants of items 2, 5-9
...               run in pytest and ``hil matrix``). The power-cut sweep of item 11 cuts every
...               16th flash operation of the update plus 2 seeded random instants and a cut
...               at every phase event, and its judgement still requires a fault to have fired
...               in every OTA phase with no bricked point (the exhaustive every-operation
...               sweep is ``hil matrix`` and the slow pytest marker); items 12 and 13 run
...               their complete sweeps.
...
...               Tag ``nightly``: each item runs on one chip in the default run of
...               scripts/test.sh (its ``hil matrix --quick`` puts every item of both chips in
...               the rendered report, pytest runs the cases); the other chip's row runs when
...               HIL_ROBOT_NIGHTLY=1 (the nightly command), so every row runs every night.
Library           hil.robot.OtaHil
Test Template     Matrix Item Should Pass

*** Test Cases ***                          ITEM    CASE                        PLATFORM     OPTIONS
stm32u585 item 1 normal-update              1       normal-update               stm32u585
    [Tags]    item:1    platform:stm32u585    scenario:normal-update
stm32u585 item 2 resume mid-chunk           2       mid-chunk                   stm32u585
    [Tags]    item:2    platform:stm32u585    scenario:resume-after-reboot    nightly
stm32u585 item 3 two-releases               3       two-releases                stm32u585
    [Tags]    item:3    platform:stm32u585    scenario:two-releases    nightly
stm32u585 item 4 self-test-fail             4       self-test-fail              stm32u585
    [Tags]    item:4    platform:stm32u585    scenario:self-test-fail    nightly
stm32u585 item 5 rescue-uart                5       rescue-uart                 stm32u585
    [Tags]    item:5    platform:stm32u585    scenario:rescue-uart    nightly
stm32u585 item 6 forged-signature           6       forged-signature            stm32u585
    [Tags]    item:6    platform:stm32u585    scenario:forged-signature
stm32u585 item 7 tampered chunk-map         7       chunk-map                   stm32u585
    [Tags]    item:7    platform:stm32u585    scenario:tampered-manifest
stm32u585 item 8 replay-older               8       replay-older                stm32u585
    [Tags]    item:8    platform:stm32u585    scenario:replay
stm32u585 item 9 below-floor-install        9       below-floor-install         stm32u585
    [Tags]    item:9    platform:stm32u585    scenario:below-floor-install    nightly
stm32u585 item 10 revoked-key               10      revoked-key                 stm32u585
    [Tags]    item:10    platform:stm32u585    scenario:revoked-key
stm32u585 item 11 power-cut-sweep           11      power-cut-sweep             stm32u585    stride=16    random=2
    [Tags]    item:11    platform:stm32u585    scenario:power-cut-sweep    nightly
stm32u585 item 12 meta-cut                  12      meta-cut                    stm32u585
    [Tags]    item:12    platform:stm32u585    scenario:meta-cut    nightly
stm32u585 item 13 brownout-write            13      brownout-write              stm32u585
    [Tags]    item:13    platform:stm32u585    scenario:brownout-write    nightly
stm32u585 item 14 never-confirms            14      never-confirms              stm32u585
    [Tags]    item:14    platform:stm32u585    scenario:never-confirms
stm32u585 item 15 classify                  15      classify                    stm32u585
    [Tags]    item:15    platform:stm32u585    scenario:classify
lpc55s69 item 1 normal-update               1       normal-update               lpc55s69
    [Tags]    item:1    platform:lpc55s69    scenario:normal-update    nightly
lpc55s69 item 2 resume chunk-boundary       2       chunk-boundary              lpc55s69
    [Tags]    item:2    platform:lpc55s69    scenario:resume-after-reboot
lpc55s69 item 3 two-releases                3       two-releases                lpc55s69
    [Tags]    item:3    platform:lpc55s69    scenario:two-releases
lpc55s69 item 4 self-test-fail              4       self-test-fail              lpc55s69
    [Tags]    item:4    platform:lpc55s69    scenario:self-test-fail
lpc55s69 item 5 rescue-strap                5       rescue-strap                lpc55s69
    [Tags]    item:5    platform:lpc55s69    scenario:rescue-strap
lpc55s69 item 6 forged-signature-same-id    6       forged-signature-same-id    lpc55s69
    [Tags]    item:6    platform:lpc55s69    scenario:forged-signature    nightly
lpc55s69 item 7 tampered wrong-slot         7       wrong-slot                  lpc55s69
    [Tags]    item:7    platform:lpc55s69    scenario:tampered-manifest    nightly
lpc55s69 item 8 replay-same                 8       replay-same                 lpc55s69
    [Tags]    item:8    platform:lpc55s69    scenario:replay    nightly
lpc55s69 item 9 below-floor-boot            9       below-floor-boot            lpc55s69
    [Tags]    item:9    platform:lpc55s69    scenario:below-floor-boot
lpc55s69 item 10 revoked-key                10      revoked-key                 lpc55s69
    [Tags]    item:10    platform:lpc55s69    scenario:revoked-key    nightly
lpc55s69 item 11 power-cut-sweep            11      power-cut-sweep             lpc55s69     stride=16    random=2
    [Tags]    item:11    platform:lpc55s69    scenario:power-cut-sweep
lpc55s69 item 12 meta-cut                   12      meta-cut                    lpc55s69
    [Tags]    item:12    platform:lpc55s69    scenario:meta-cut
lpc55s69 item 13 brownout-write             13      brownout-write              lpc55s69
    [Tags]    item:13    platform:lpc55s69    scenario:brownout-write
lpc55s69 item 14 never-confirms             14      never-confirms              lpc55s69
    [Tags]    item:14    platform:lpc55s69    scenario:never-confirms    nightly
lpc55s69 item 15 classify                   15      classify                    lpc55s69
    [Tags]    item:15    platform:lpc55s69    scenario:classify    nightly
