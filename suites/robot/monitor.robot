*** Settings ***
Documentation     The monitor from Robot: every step is a monitor command (``Execute Command``
...               or a keyword over the same command layer). A power cut as the device starts
...               the metadata commit leaves the old image running; the session replays byte
...               for byte from its record.
Library           hil.robot.OtaHil
Test Tags         monitor

*** Variables ***
${PLATFORM}       stm32u585

*** Test Cases ***
A cut at the metadata commit leaves the old image running and replays identical
    [Tags]    item:12    platform:${PLATFORM}    scenario:monitor
    Load Platform    ${PLATFORM}
    Create Terminal Tester    console    timeout=5
    Start Emulation
    Wait For Line On Uart    running build 1 from slot A
    Slot State Should Be    A    CONFIRMED
    Upload Package    2
    Arm Cut At Phase    metadata_commit
    ${reply}=    Execute Command    run until outcome within=20000
    Should Contain    ${reply}    the power went off
    Fault Should Have Fired
    Power On
    Update Should End With    RUNNING
    Wait For Event    BOOT    slot=A    build=1
    Should Not See Event    SLOT_TRANSITION    to=PENDING
    Log Timeline
    Save Session Record    ${OUTPUT DIR}/monitor-session.json
    Replay Should Be Identical    ${OUTPUT DIR}/monitor-session.json

A bad monitor command fails with one line naming what exists
    Load Platform    ${PLATFORM}
    Run Keyword And Expect Error    error: unknown command 'frobnicate'; commands: help*
    ...    Execute Command    frobnicate
    Run Keyword And Expect Error    *unknown power state 'sideways'; known: on, off*
    ...    Execute Command    power sideways
    ${help}=    Execute Command    help
    Should Contain    ${help}    run for <ms>
