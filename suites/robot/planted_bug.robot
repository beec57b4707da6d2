*** Settings ***
Documentation     A planted firmware bug the matrix must catch: the firmware is built with
...               ``MUT_SKIP_SIG`` (firmware_stubs/core/mut_hooks.h: the ECDSA signature is not
...               checked). Item 1 (a normal update) still passes; item 6 (a package whose
...               signature is forged under the genuine key ID) must FAIL, and its failure names
...               the event that disproved the item.
...
...               This suite is EXPECTED TO FAIL: scripts/test.sh leaves it out
...               (``--exclude planted-bug``) and suites/test_robot.py runs it, asserting that
...               exactly item 6 fails, naming the event, with the evidence log and a replay
...               command (and record) attached.
Library           hil.robot.OtaHil
Test Template     Matrix Item Should Pass
Test Tags         planted-bug    mutation:MUT_SKIP_SIG

*** Test Cases ***                                  ITEM    CASE                        PLATFORM     OPTIONS
item 1 still passes on MUT_SKIP_SIG firmware        1       normal-update               stm32u585    define=MUT_SKIP_SIG
    [Tags]    item:1    platform:stm32u585    scenario:normal-update
item 6 catches MUT_SKIP_SIG                         6       forged-signature-same-id    stm32u585    define=MUT_SKIP_SIG
    [Tags]    item:6    platform:stm32u585    scenario:forged-signature
