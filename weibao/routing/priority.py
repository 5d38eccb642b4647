"""Impact-aware priority: what the problem stops, where, for how many, and whether there is a way round.

The desk's levels (DESIGN.md): P1 core business down or patient safety at risk (emergency,
OR, ICU, whole hospital); P2 core function degraded, no workaround; P3 partial, a workaround
exists; P4 a question or request. The text is read for the signals a dispatcher listens for:
- scope: the whole hospital, a department or several users, or one workstation/user;
- critical areas and moments: emergency, resuscitation, ICU, an operation in progress,
  the delivery room, critical lab values, dispensing;
- a blocked business flow (registration, billing, dispensing, orders cannot proceed) versus
  a degraded one (slow);
- a workaround in use (another PC, another client, a retry that goes through), as against
  a department falling back to paper or to working by hand, which is no way round (P2);
- a share of the attempts failing ("1 in 10", "sometimes") rather than all of them;
- question form ("怎么…", "how do I…") for a consultation;
- a monitoring alert's own severity.
Each decision returns its reasons as codes with the words that triggered them, so a page can
explain the priority in the reader's language (weibao/web/locale/*/LC_MESSAGES/understanding.po).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CORE_SYSTEMS = frozenset(
    {"his", "registration", "emr", "lis", "pacs", "insurance", "emergency", "icu",
     "or_anesthesia", "integration", "infrastructure", "pharmacy"}
)
SAFETY_SYSTEMS = frozenset({"emergency", "icu", "or_anesthesia"})
SAFETY_DEPARTMENTS = frozenset({"emergency", "surgery", "icu"})
# Symptoms that stop work outright when they hit, as opposed to slowing it down.
FAILING = frozenset({"outage", "crash_error", "settlement_failure", "interface_error", "login_failure",
                     "device_connect", "cert_license", "upgrade_regression", "image_load", "print_failure",
                     "data_sync"})
# Failures of shared machinery: they reach beyond the one user who reports them.
DEGRADING = frozenset({"settlement_failure", "interface_error", "data_sync", "upgrade_regression", "cert_license"})

_I = re.I
SCOPE_HOSPITAL = re.compile(
    r"全院|整个医院|全医院|整家医院|所有科室|全部科室|各科室|各个科室|各科|所有窗口|全部窗口|所有收费|所有人|所有接口|全部接口|"
    r"(所有|全部)的?.{0,4}(窗口|收费处)|(收费处|收费窗口|挂号处|挂号窗口|药房窗口).{0,3}(全部|都)|全部停|全停了|都停了|都进不去|都上不去|都登不上|都打不开|所有电脑|所有终端|所有系统|"
    r"hospital[- ]wide|whole hospital|entire hospital|across the hospital|all departments|every department|"
    r"all wards|every ward|everyone|every ?body|nobody (in|can)|no one (in|can)|no cashier|no pc|"
    r"all (the )?(cashiers?|windows|counters|terminals|pcs|computers|users|systems|interfaces)|"
    r"every (user|cashier|window|counter|interface|system)|no system", _I)
SCOPE_GROUP = re.compile(
    r"整个科|全科|整个科室|我们科|科里|科室的|整层|整个楼层|整个病区|整个门诊|整个急诊|多个科室|几个科室|好几个|"
    r"几台|多台|多个|很多|好多|大量|一批|都这样|都是这样|都不行|整个药房|病人都|任意|所有病人|每个病人|"
    r"全病区|全科室|整个病房|所有(的)?(医生|护士|病人|患者|电脑|终端|工作站|PDA|自助机)|"
    r"(自助机|终端|电脑|工作站|PDA|打印机)(全部|都)|\ball (the )?(kiosks|pdas|printers|workstations)\b|"
    r"several|many|multiple|a number of|whole (\w+ )?(ward|department|floor|clinic|unit)|"
    r"entire (ward|department|floor|clinic|unit)|every (ward|floor|time)|all (the )?(doctors|nurses|staff)|"
    r"none of the|in the department|the whole|lots of|hundreds|any patient|every patient|"
    # The same failure for patient after patient: "the fourth today", "third complaint today".
    r"(已经|已|今天)有.{0,3}[两二三四五六七八九十\d几]+个|第[二三四五六七八九十\d]+(个|起|例)|"
    r"\b(second|third|fourth|fifth|\d+(nd|rd|th)) (complaint|case|patient) (today|this)|"
    r"\b(two|three|several|\d+) other (beds|pcs|computers|wards|patients)", _I)
# The one person on duty at a desk: when that user is stopped, the desk is.
SOLE_STAFF = re.compile(r"一个人值班|就(她|他|我)一个(人)?(值班|在)|只有(她|他|我)一个(人)?值班|"
                        r"\bthe only (\w+ )?(clerk|cashier|nurse|doctor|pharmacist|technician|tech|one) (at|on|in|here)\b|"
                        r"\bonly one on (duty|shift)\b", _I)
SCOPE_SINGLE = re.compile(
    r"一台|某台|这台|那台|个别|单台|某个病人|(?<!同)一个病人(?!.{0,2}(要|需要|得|就))|只有.{0,6}(一|这|我(?!们))|就我一个|只有我一个|其他.{0,8}(正常|都好|可以|没问题)|"
    r"别的.{0,8}(正常|可以|没问题|好的|能)|其它.{0,8}正常|我的账号|我自己|我的电脑|这个病人|这个人|"
    r"其他.{0,8}(好的|能用|能打|还行)|另外一台.{0,4}(能|可以|正常)|(换|另)一台.{0,6}(可以|正常|能)|"
    r"老电脑.{0,2}(可以|正常)|同事.{0,4}(还行|正常|没事)|"
    r"\bone (pc|computer|workstation|printer|user|patient|bed|reading workstation)\b|a single|only (one|this|my)|"
    r"others? (are|is|work|open)s? (fine|ok|normal)|the others are fine|others open fine|just (me|mine|my)|"
    r"(the )?other (\w+ ){0,2}(are |is )?(fine|ok|work|works|working|normal)|on my pc|my pc only|"
    r"\bonly (the|bed|room|in room)\b|another (pc|computer|one) works|"
    r"\bmy (account|password|pc)\b|\bi typed\b|bed \d+|"
    # One numbered device: "3号自助机", "2号诊断工作站", "kiosk #2", "workstation 4".
    r"[0-9一二三四五六七八九十]+ ?号(自助机|机器?|电脑|终端|工作站|诊断工作站|阅片工作站|打印机)|"
    r"\b(kiosk|pc|computer|workstation|terminal|printer|scanner) ?#? ?\d+\b", _I)
CRITICAL_AREA = re.compile(
    r"急诊|抢救|icu|重症|监护室|手术室|手术间|手术中|术中|做手术|麻醉|产房|分娩|待产|新生儿|危急值|输血|血库|导管室|介入室|"
    r"\bed\b|\ber\b|emergency|resus|intensive care|operating (room|theatre)|\bor ?\d|theatres?|surgery|"
    r"anaesthe|anesthe|in labou?r|delivery room|critical (lab )?value|blood bank|transfusion|patient safety|患者安全|"
    r"cath(eteri[sz]ation)? ?lab|interventional suite",
    _I)
CRITICAL_MOMENT = re.compile(
    r"正在|手术中|术中|抢救(?!室)|马上要?开始|马上|立即|立刻|紧急|急需|在分娩|在等|在催|"
    r"resuscitation patient|resuscitating|code blue|cardiac arrest|trauma|\bin resus\b|resus (patient|case)|"
    r"by ambulance|ambulances? (is |are )?(here|arriv|waiting)|"
    r"urgent|immediately|right now|asap|in progress|ongoing|mid-|during (an|the)? ?(surgery|operation|case)|"
    r"starts in|is in labou?r|while we|patient (is )?(already )?on the table|手术台上|(已经)?在台上|麻醉诱导|已经诱导", _I)
FLOW = (r"挂号|收费|结算|结账|缴费|发药|配药|取药|摆药|医嘱|处方|登记|建档|分诊|入院|出院|签名|"
        r"regist|billing|bills?|payments?|pay|settl|dispens|orders?|prescri|admission|discharge|triage|sign")
BLOCKED = re.compile(
    rf"({FLOW}).{{0,12}}(不了|(?<!对)不上|不能|无法|没法|失败|报错|停了|过不去|下不去|排不了|做不了|进不去)|"
    rf"(无法|不能|没法|不了).{{0,6}}({FLOW})|"
    rf"(cannot|can'?t|can not|unable to|won'?t|no one can|nobody can|fails?|failing|failed|errors?|throws)"
    rf".{{0,20}}({FLOW})|({FLOW}).{{0,25}}(fails?|failing|failed|errors?|impossible|blocked|stopped)|"
    r"停诊|停摆|瘫痪|全停|业务停|停了|排不了|没法分诊|can't triage|cannot take|no cashier can", _I)
WORKAROUND = re.compile(
    r"手写|手工|手动|手抄|纸质|纸上|先用|改用|换到|换了.{0,6}(电脑|机器|浏览器)?.{0,4}(可以|正常)|暂时用|临时用|"
    r"可以正常|能正常|.{0,6}可以用|代替|先让|先到|人工窗口|截图|只能|只好|"
    r"(那边|那里|近期的|实体卡|刷卡|扫码|二维码).{0,2}(能看|可以|正常|能用)|"
    # Still working between failures, or another way of paying; trying again or another client gets it done.
    r"(?<!昨天)(?<!之前)(?<!以前)(还能用|还可以用)(?!.{0,3}(但|可是))|"
    r"\bstill (works|come out|comes out|opens|prints|recorded)\b|"
    r"\bcan still (\w+ )?(order|use|print|see|view|register|open|log in|access|book|pay|charge)\b|"
    r"重试.{0,6}(能过|就能|可以|成功|就好)|换(个|用)?.{0,4}(客户端|手机|浏览器|电脑).{0,2}(能看|能用|可以|正常)|"
    r"retr(y|ies|ying|ied).{0,30}(goes through|go through|works|succeeds?)|(goes|go) through on (a )?retry|"
    r"by hand|manually|on paper|paper|works (on|from) another|from the pc next door|another (pc|computer|machine)|"
    # "No workaround", "nothing works": the words deny a way round.
    r"instead|(?<!no )(?<!without a )(?<!without )(workaround|fallback)|works fine|is fine|"
    r"(?<!nothing )(?<!no longer )(?<!never )(?<!nobody )works\b|screenshot", _I)
QUESTION = re.compile(
    r"怎么(?!办|回事|了|都|也|搞的|这么)|如何|怎样|能不能|能否|可不可以|是否可以|在哪|哪里|请问|咨询|想问|"
    r"\bhow (do|can|to|should|is)\b|\bwhere (do|can|is)\b|\bcan i\b|is it possible|is there a way|"
    r"what does|what is the|what'?s the|what are the|what'?s your|what is your|\bis there (a|an|any)\b|^questions? (about|on|regarding)\b", _I)
# A service request (an account, a department, access to set up): P4 unless something is broken.
REQUEST = re.compile(
    r"please (add|create|set up|open|enable|disable|deactivate|remove|grant|configure)|^request(ing)? (for|to)\b|\bwe would like (to|a|an)\b|"
    r"\bcould (you|we) (please )?(add|create|set up|enable|grant)|\bneeds? (a |an )?new (account|login|user)\b|"
    r"new (account|login) for\b|开(个|一个)账号|新建.{0,4}账号|请(帮忙|帮我们?)?(添加|新增|开通|增加|配置|设置|建一下|加一下)|"
    r"申请开通|需要开通|麻烦.{0,12}(开通|添加|新增|加上)", _I)
# Patient safety named outright: a critical result that nobody is told of, a danger.
SAFETY_RISK = re.compile(
    r"危急值|危险|安全隐患|患者安全|病人安全|critical (lab )?(value|result)|patient safety|dangerous|unsafe", _I)
# People waiting at a counter or a bedside for the step that fails.
WAITING = re.compile(
    r"(病人|患者|人).{0,6}(在等|等着|排队|排了)|排了.{0,8}(队|人)|排长队|后面排|排(队)?(很|好|特别|老)长|"
    r"patients? (are |is )?(waiting|queuing)|waiting to be|queue (is |keeps )?(growing|building|long)|"
    r"queue keeps", _I)
# A queue that is long or growing: in a patient-safety area, an emergency.
LONG_QUEUE = re.compile(r"很长|长队|一长串|越排越|越来越多|排满|keeps? growing|growing|long queue|building up", _I)
# Nobody can save their work: a hospital-wide stop even when the symptom reads as an alarm.
SAVE_BLOCKED = re.compile(r"保存不了|存不了|保存不上|无法保存|不能保存|can'?t save|cannot save|unable to save", _I)
# Saving fails now: a full store has stopped the writes (not only an alarm about filling).
SAVES_FAILING = re.compile(r"保存不了|存不了|保存不上|无法保存|不能保存|保存.{0,6}(报错|失败)|"
                           r"can'?t save|cannot save|unable to save|saves? (\w+ )?(fail|error)|save errors?", _I)
# The impact lies ahead (tomorrow's list), not at this moment.
LATER = re.compile(r"明天|明早|下周|下个月|tomorrow|next week|next month", _I)
# Figures that disagree, nothing stopped: reconciled by a person, not an emergency.
MISMATCH = re.compile(
    r"对不上|不一致|不平|差了|跳号|不连续|多算|少算|不同步|"
    r"mismatch|do(es)?n'?t match|differs?|out of sync|discrepanc|"
    # Stock on the books against the shelf.
    r"账物不符|库存.{0,6}(不对|不准|有误|错了)|(stock|inventory)( count| figures?| levels?)? (is |are |seems |looks )?"
    r"(wrong|off|incorrect)|wrong (stock|inventory)|(stock|inventory) wrong", _I)
# Part of an output is wrong or missing (a page, a line, an image on a page, the preview).
PARTIAL = re.compile(
    r"打印不全|打不全|只打出|少了一页|缺页|最后一页|显示不全|红叉|预览|"
    r"只打(出来)?(一|第一)页|只出来第一页|只打一半|"
    r"incomplete|missing (the )?(last )?(page|line|part)|cut off|truncated|preview|"
    r"prints? only (half|the first page|one page)|misses the (second|last|next) page|half (of every page|blank)", _I)
# Data that does not arrive is a failure, not a mismatch to reconcile.
NOT_ARRIVING = re.compile(r"刷不出|看不到|没过来|没有过来|收不到|不见了|not (showing|arriving|received|visible)", _I)
# Doing by hand what a machine or interface should do for a whole service (results re-keyed,
# vitals copied, drugs picked): a burden and an error risk, so it does not make the problem
# partial. Typing one patient's number instead of scanning it does.
TRANSCRIBING = re.compile(
    r"手工录|手动录|一个个录|手工输|手工抄|抄写|人工摆药|人工发药|手工拿药|手工发药|手工登记|口头通知|电话通知|"
    r"typ(e|ing) .{0,30}(in )?manually|copied by hand|copying .{0,20}by hand|transcrib|re-?enter|"
    r"(picking|packing|counting|dispensing) .{0,25}(by hand|manually)|手工配药|手工包药|人工包药", _I)
# Falling back to paper or to doing it by hand: the emergency procedure, not a way round.
# For a department or a group it is a degraded core function (P2, DESIGN.md: "only a manual
# fallback"); for one workstation or user the work goes on (P3).
MANUAL_FALLBACK = re.compile(r"手写|手工|手动|手抄|纸质|纸上|纸条|纸单|人工|by hand|manually|on paper|paper|handwrit", _I)
CARRIED_DATA = re.compile(r"结果|数据|体征|医嘱|处方|报告|results?|vitals?|readings?|demographics|data|"
                          r"prescriptions?|orders?", _I)
# Words that report a failure: a question carrying one is a complaint, not a consultation.
COMPLAINT = re.compile(
    r"不了|不出|不上|(?<!找)不到|不动|不去|不来|断了|断网|停了|挂了|宕|失败|报错|错误|没反应|打不开|白屏|黑屏|蓝屏|"
    r"死机|闪退|重启|异常|很卡|好卡|卡死|卡住|卡顿|很慢|太慢|好慢|变慢|坏了|超时|扣了钱|扣钱|"
    r"派人|来人|来看看|send someone|come (and )?(look|check|fix)|"
    r"can'?t|cannot|won'?t|doesn'?t|isn'?t|not working|fail|error|broken|\bdown\b|slow|stuck|missing|"
    r"time[sd]? ?out|\bcharged",
    _I)
# What a how-to never says: the thing is broken.
BROKEN = re.compile(r"can'?t|cannot|won'?t|blank|白屏|黑屏|打不开|进不去|闪退|报错|用不了", _I)
# "Will it affect anything?": an impact question about a warning.
IMPACT_QUESTION = re.compile(r"会不会影响|有没有影响|影响大吗|will it affect|does it matter|is it a problem", _I)
# A share of the attempts fails, the rest go through: partial (issue 13: degraded, not blocked).
INTERMITTENT = re.compile(
    r"\b(1|one)( call| request| payment| message)? (in|of|out of) (\d+|three|four|five|ten|twenty)\b|"
    r"\b\d{1,2} ?% of (the )?(calls|requests|messages|transactions|payments|settlements|the time)|"
    r"error (ratio|rate) \d{1,2}(\.\d+)? ?%|偶尔|有时候|有时|时不时|间歇|时好时坏|经常|老是?超时|"
    r"\b(sometimes|occasionally|intermittent(ly)?|now and then|on and off)\b", _I)
# Only slower, nothing refused: degraded, not stopped.
SLOWNESS = re.compile(r"慢|卡|要等|半天|\d+ ?(分钟|秒)|slow|takes? (over )?(a |\d+|several |minutes)|minutes to|lag", _I)
HARD_FAILURE = re.compile(
    r"打不开|进不去|登不上|保存不了|失败|报错|白屏|黑屏|闪退|宕|挂了|用不了|不可达|连不上|"
    r"can'?t|cannot|won'?t|unable|fail|error|down\b|crash|unreachable", _I)
# A store that is full (writes refused), not one filling up.
STORAGE_FULL = re.compile(r"\bfull\b|满了|已满|写满|no space|ORA-\d+", _I)
# Usage figures in an alarm ("使用率 92%", "usage 96%", "还剩不到5%" = 95 % used).
USAGE = re.compile(r"(\d{2,3}(?:\.\d+)?) ?%")
LEFT = re.compile(r"(剩|remaining|left|free)[^\d]{0,6}(\d{1,2}(?:\.\d+)?) ?%|(\d{1,2}) ?% ?(free|left|remaining)", _I)
# A store that will stop writes soon, or a disk that has failed: the stop is near.
STORAGE_URGENT = re.compile(r"RAID|降级|degraded|硬盘故障|disk (failed|failure)|failed disk|今晚|撑不了|tonight|"
                            r"within (a|the) (day|hour)|一周内会满|will (be )?(fill|full)", _I)
# A certificate or licence that still has days to run.
EXPIRING = re.compile(r"(expires?|expiring|到期).{0,12}(in )?\d+ ?(days?|d\b|天)|"
                      r"\d+ ?(days?|天).{0,6}(后|left|remaining)?.{0,4}(到期|过期|expire)|expiringsoon|快到期|即将到期|将于|"
                      r"(expires?|expiring|到期|过期).{0,6}(next (week|month)|this month|下周|下个月|月底)|"
                      r"(next (week|month)|下周|下个月|月底).{0,6}(expires?|到期|过期)|valid until|有效期(至|到)", _I)
# The vendor's own way in (VPN, bastion host, remote support): it delays the fix, the wards work on.
VENDOR_ACCESS = re.compile(r"(?<![a-z])vpn(?![a-z])|堡垒机|bastion|jumpserver|远程(支持|协助|维护)|remote (support|session)|teamviewer|"
                           r"向日葵|(厂家|工程师)没法远程", _I)
# Setting up someone or something new (a new doctor, a new department, a transfer): one account's set-up.
NEW_SETUP = re.compile(r"新来的.{0,4}(医生|护士|同事|规培|进修|实习)|新入职|新开的.{0,4}科|新(成立|开设|设)的?.{0,4}科|"
                       r"新建科室|新增科室|调到|调去|转科的(护士|医生)|"
                       r"new (doctor|nurse|intern|resident|trainee|user|staff|colleague|department|clinic)|"
                       r"joined (last|this)|"
                       r"newly (transferred|hired|joined)|transferred (nurse|doctor)", _I)
# The queue-calling display or its speaker: patients are called by voice meanwhile.
QUEUE_DISPLAY = re.compile(r"叫号(屏|大屏|不响|不叫|没声音|没反应)|候诊.{0,6}(屏|大屏)|"
                           r"queue screen|(waiting[- ]room|calling|queue) (calling )?(screen|display)|"
                           r"call(ing)? (button|next patient)", _I)
# "The other buildings/floors/wards are fine": an area is down, not one workstation.
OTHER_AREAS_FINE = re.compile(r"(其他|其它|别的)(楼|楼层|病区|科室|院区)|other (floors|buildings|wards|departments|sites)",
                              _I)
PATIENT_ID = re.compile(r"腕带|wristband", _I)
# The whole hospital named as such, as opposed to "all the PCs", which may be one floor's.
HOSPITAL_NAMED = re.compile(r"全院|整个医院|全医院|整家医院|所有科室|全部科室|各科室|各个科室|各科|"
                            r"hospital[- ]wide|whole hospital|entire hospital|across the hospital|all departments|"
                            r"every department|all wards|every ward", _I)
# A floor, a building or a wing: "all the PCs on floor 7" is that floor's, not the hospital's.
LOCAL_PLACE = re.compile(r"\d+ ?(楼|层|f\b)|[一二三四五六七八九十]+(楼|层)|[a-z]栋|楼层|整层|行政区|"
                         r"\b(floor|level|wing|building)\b|\d+(st|nd|rd|th) floor", _I)
PUBLIC_AREA = re.compile(r"门诊|急诊|outpatient|emergency|\bED\b", _I)
# One patient's payment taken at a kiosk but not booked: a transaction to reconcile, the counters work.
KIOSK_PAYMENT = re.compile(r"(自助机|kiosk).{0,30}(扣了钱|扣钱|扣款|charged|money left|paid)|"
                           r"(扣了钱|扣钱|扣款|charged|money left|paid).{0,30}(自助机|kiosk)", _I)
# One patient's data shown as another's: a mix-up to stop before a wrong treatment (never P3;
# the seed desk grades an ICU bed mix-up P2, the second writer P1).
PATIENT_MIXUP = re.compile(r"(显示|跑|串|采集|挂)到了?.{0,4}(床|病人|患者)|串床|串了病人|错误床位|别的病人的(数据|结果|医嘱)|"
                           r"(shows?|showing|appear(s|ing)?) (up )?(on|under|in) (another|the wrong) (patient|bed)|"
                           r"wrong (patient|bed)", _I)
# A vulnerability to patch, asked about, with nothing compromised: planned work, not an incident.
VULNERABILITY = re.compile(r"漏洞|补丁|等保|vulnerabilit|\bpatch|\bCVE-|MS\d\d-\d+", _I)
COMPROMISED = re.compile(r"(?<!没发现)(?<!没有)(?<!未)中招|感染|中毒|病毒|加密|勒索|攻击|入侵|盗用|被盗|异常登录|"
                         r"infected|malware|virus|ransom|attack|breach|compromised|stolen|intrusion", _I)
ASKING = re.compile(r"要不要|需不需要|should we|do we need to", _I)
# Frozen rather than slower: screens that hang, sessions blocked on locks.
FROZEN = re.compile(r"卡住|卡死|死锁|锁等待|freez|frozen|hangs|lock waits?|blocking sessions?|row lock", _I)
EXPIRED = re.compile(r"已过期|过期了|已经过期|(证书|授权|license|licence|cert)过期|失效|已到期|已经到期|到期了|昨天到期|"
                     r"expired|has expired", _I)
# Another device does the job meanwhile (back to the PC, the other app): a real way round,
# unlike falling back to paper, which is the emergency procedure itself.
OTHER_DEVICE = re.compile(r"回(到)?.{0,4}电脑(上|操作|执行)|改用电脑|用电脑(执行|操作)|换(用)?电脑|"
                          r"back (on|to) the (pc|computer|desktop)|use the (pc|computer|desktop) instead", _I)
RANSOM = re.compile(r"勒索|加密了|被加密|比特币|ransom|encrypted|bitcoin", _I)
# What a ransom note looks like to a user, whatever triage read as the symptom: renamed file
# extensions, a note asking for money.
RANSOM_NOTE = re.compile(r"(后缀|扩展名).{0,8}(变|改)|赎金|(说|要).{0,4}付钱|ransom note|"
                         r"(extensions?|file names?) (\w+ )?(changed|renamed)|pay (us|to (get|decrypt|unlock))", _I)
ALERT = re.compile(
    r"severity[\s=:：]*(?P<en>critical|disaster|high|warning|warn|average|info)|"
    r"严重程度[\s=:：]*(?P<zh>灾难|严重|高|警告|一般|信息)|\[firing\]|alertmanager|zabbix|prometheus|【告警】|【监控】",
    _I)
_ALERT_LEVEL = {"critical": "critical", "disaster": "critical", "灾难": "critical", "严重": "critical",
                "high": "high", "高": "high", "warning": "warning", "warn": "warning", "警告": "warning",
                "average": "warning", "一般": "warning", "info": "info", "信息": "info"}


@dataclass(slots=True)
class PriorityDecision:
    priority: str
    rule: str  # one English sentence, kept for logs and the CLI
    # Why, as codes with the words that triggered them: [{"code": "scope_hospital", "matched": "全院"}]
    reasons: list[dict[str, str]] = field(default_factory=list)


def _found(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return match.group(0).strip() if match else ""


def _alert_level(text: str) -> str:
    level = ""
    for match in ALERT.finditer(text):
        word = (match.group("en") or match.group("zh") or "").lower()
        if word:
            return _ALERT_LEVEL.get(word, "warning")
        level = level or "unknown"
    return level


def _usage(text: str) -> float:
    """The highest usage figure an alarm names (percent), 0 when none."""
    used = [float(m.group(1)) for m in USAGE.finditer(text) if float(m.group(1)) <= 100]
    for m in LEFT.finditer(text):
        free = m.group(2) or m.group(3)
        used.append(100.0 - float(free))
    return max(used, default=0.0)


def decide(text: str, system: str | None, symptom: str | None, department: str | None) -> PriorityDecision:
    """The priority of a ticket, from the most urgent rule down, with its reasons."""
    reasons: list[dict[str, str]] = []

    def why(code: str, matched: str = "") -> None:
        reasons.append({"code": code, "matched": matched})

    wide = _found(SCOPE_HOSPITAL, text)
    group = _found(SCOPE_GROUP, text)
    blocked = _found(BLOCKED, text)
    local = ""
    if wide and not HOSPITAL_NAMED.search(text) and LOCAL_PLACE.search(text) and not blocked \
            and not PUBLIC_AREA.search(text):
        # "All the PCs on the 7th floor": a floor is a group, not the whole hospital; where
        # patients queue (outpatient, emergency) or a flow has stopped, it stays an emergency.
        local = _found(LOCAL_PLACE, text)
        group, wide = group or wide, ""
    elif wide and not HOSPITAL_NAMED.search(text) and OTHER_AREAS_FINE.search(text):
        # "All the PCs ..., the other floors are fine": that area, not the whole hospital.
        local = _found(OTHER_AREAS_FINE, text)
        group, wide = group or wide, ""
    single = "" if wide or OTHER_AREAS_FINE.search(text) else _found(SCOPE_SINGLE, text)
    sole = _found(SOLE_STAFF, text)
    if sole and not wide:
        # "I'm the only clerk at the admission desk": one user, but the desk stops with them.
        single, group = "", group or sole
    area = _found(CRITICAL_AREA, text)
    # A safety area named in the text, or a safety system; not a department alone: triage's
    # department is often the similar tickets' guess (a template question "in the ED", an
    # orthopaedic trainee "in the ICU"), and a guess must not raise the priority.
    critical = bool(area) or system in SAFETY_SYSTEMS
    later = _found(LATER, text)
    moment = _found(CRITICAL_MOMENT, text) if critical and not later else ""
    workaround = _found(WORKAROUND, text)
    transcribing = _found(TRANSCRIBING, text)
    request = _found(REQUEST, text)
    question = _found(QUESTION, text) or request
    complaint = _found(COMPLAINT, text)
    alert = _alert_level(text)
    safety = _found(SAFETY_RISK, text)
    waiting = _found(WAITING, text)
    mismatch = _found(MISMATCH, text)
    partial = _found(PARTIAL, text)
    failing = symptom in FAILING or bool(blocked)
    # Slower but nothing refused: "takes minutes to open" on every ward is degraded, not down.
    only_slow = bool(SLOWNESS.search(text)) and not HARD_FAILURE.search(text) and not blocked
    # A workaround in use makes the problem partial, except where re-keying by hand is the
    # workaround for a shared link (results, vitals, worklists): that is a burden, not a way round.
    eased = bool(workaround) and not (transcribing and CARRIED_DATA.search(text))
    # A group that falls back to paper or to doing it by hand has no way round: degraded.
    manual_group = bool(group) and not single and bool(MANUAL_FALLBACK.search(text))
    if manual_group:
        eased = False

    if wide:
        why("scope_hospital", wide)
    elif sole:
        why("sole_staff", sole)
    elif single:
        why("scope_single", single)
    elif group:
        why("scope_group", group)
    if critical:
        why("critical_area", area or (system or department or ""))
    if moment:
        why("critical_moment", moment)
    if safety:
        why("safety_risk", safety)
    if blocked:
        why("blocked_flow", blocked)
    if waiting:
        why("people_waiting", waiting)
    if workaround and manual_group:
        why("manual_fallback", _found(MANUAL_FALLBACK, text))
    elif workaround:
        why("workaround", workaround)
    if alert:
        why(f"alert_{alert}")

    if (symptom == "security" and RANSOM.search(text)) or RANSOM_NOTE.search(text):
        why("ransomware", _found(RANSOM, text) or _found(RANSOM_NOTE, text))
        return PriorityDecision("P1", "ransomware or encrypted files: whole-hospital security incident", reasons)
    if (symptom == "how_to" and not BROKEN.search(text)) or (
        question and not complaint and symptom != "security"
    ):
        why("service_request" if request and question == request else "question", question)
        return PriorityDecision("P4", "how-to question or request", reasons)
    if symptom == "security" and VULNERABILITY.search(text) and not COMPROMISED.search(text) and question:
        # How to patch, what the process is: a consultation (writers 2 and 3 agree).
        why("question", question)
        why("vulnerability_question", _found(VULNERABILITY, text))
        return PriorityDecision("P4", "how-to question or request: patching a vulnerability, nothing compromised",
                                reasons)
    if symptom == "security" and VULNERABILITY.search(text) and not COMPROMISED.search(text) and ASKING.search(text):
        why("vulnerability_question", _found(VULNERABILITY, text))
        return PriorityDecision("P3", "partial problem: a vulnerability to patch, nothing compromised", reasons)
    if symptom == "security" and single and not COMPROMISED.search(text):
        # One PC that blue-screens or restarts, nothing found on it: a fault there, not an incident.
        return PriorityDecision("P3", "partial problem: one workstation, nothing compromised", reasons)
    if symptom == "security":
        return PriorityDecision("P2", "security incident to contain", reasons)
    if system is None and wide and not HOSPITAL_NAMED.search(text) and not critical and not alert:
        # "Nobody can work" with nothing named: a group is affected, how widely is asked.
        why("unknown_system_wide")
        return PriorityDecision("P2", "core function degraded: unknown system, many users; asking the reporter",
                                reasons)
    if system is None and not wide and not critical and not alert:
        # Nothing says what stopped or for whom: P3 while the reporter is asked, never an
        # urgent guess that sends an engineer after an invented system.
        why("unknown_system")
        return PriorityDecision("P3", "unknown system: asking the reporter before raising it", reasons)
    if alert in ("warning", "info") and symptom != "outage":
        return PriorityDecision("P3", "monitoring warning: nothing has stopped yet", reasons)
    display = _found(QUEUE_DISPLAY, text)
    if display and not wide and not blocked and symptom != "security":
        why("queue_display", display)
        return PriorityDecision("P3", "partial problem: the queue-calling display fails, patients are called by voice",
                                reasons)
    vendor = _found(VENDOR_ACCESS, text)
    if vendor and not wide and not group and not area and symptom != "security":
        why("vendor_access", vendor)
        return PriorityDecision("P3", "partial problem: only the vendor's remote access fails, the wards work on",
                                reasons)
    if safety and (failing or symptom == "data_sync") and not question:
        return PriorityDecision("P1", "patient safety at risk: a safety signal is not getting through", reasons)
    if critical and failing and (moment or blocked or symptom == "outage") and not single and not later:
        return PriorityDecision("P1", "patient-safety area: work stopped at a critical moment", reasons)
    if critical and waiting and LONG_QUEUE.search(text) and (failing or symptom == "slow") and not single and not later:
        return PriorityDecision("P1", "queue in a patient-safety area: patients wait at a step that fails", reasons)
    other_device = _found(OTHER_DEVICE, text)
    if wide and other_device and (failing or SAVE_BLOCKED.search(text)):
        why("other_device", other_device)
        return PriorityDecision("P2", "core function degraded: hospital-wide, but another device does the job",
                                reasons)
    if wide and failing and system is not None and system not in CORE_SYSTEMS:
        # The online hospital or the kiosks down for everyone: patients come to the counters,
        # the core business goes on (writers 2 and 3: P2 four times in five).
        return PriorityDecision("P2", "a non-core service is down hospital-wide; the core business goes on", reasons)
    if wide and (failing or SAVE_BLOCKED.search(text) or (symptom == "slow" and FROZEN.search(text))) and (
            not only_slow or FROZEN.search(text)) and not other_device:
        return PriorityDecision("P1", "hospital-wide: core business stopped for everyone", reasons)
    if wide and (failing or symptom == "slow"):
        return PriorityDecision("P2", "hospital-wide but degraded: slower, not stopped", reasons)
    if symptom == "outage" and system in CORE_SYSTEMS and not single and not eased and not local and not only_slow \
            and not transcribing and not mismatch and not OTHER_AREAS_FINE.search(text):
        return PriorityDecision("P1", f"core business system {system} is down", reasons)
    saves = _found(SAVES_FAILING, text) if symptom == "storage_alarm" else ""
    if saves and not single and not INTERMITTENT.search(text):
        why("saves_failing", saves)
        return PriorityDecision("P1", "a full store has stopped the writes: saving fails", reasons)
    if alert == "critical" and (symptom in ("outage", "interface_error")
                                or (symptom == "storage_alarm" and STORAGE_FULL.search(text))):
        return PriorityDecision("P1", "critical monitoring alert: a service is failing", reasons)
    mixup = _found(PATIENT_MIXUP, text)
    if mixup and not question:
        why("safety_risk", mixup)
        if critical:
            # An ICU result filed under the wrong bed is acted on at once (writers 2, 4 and 5: P1).
            return PriorityDecision("P1", "patient safety at risk: in a patient-safety area one patient's data "
                                    "shows as another's", reasons)
        return PriorityDecision("P2", "core function degraded: one patient's data shows as another's", reasons)
    if IMPACT_QUESTION.search(text) and not blocked:
        why("impact_question", _found(IMPACT_QUESTION, text))
        return PriorityDecision("P3", "a question about a warning: nothing has stopped", reasons)
    expiring = _found(EXPIRING, text) if symptom == "cert_license" else ""
    if expiring and not blocked and not HARD_FAILURE.search(text):
        why("expiring_soon", expiring)
        return PriorityDecision("P3", "monitoring warning: a certificate or licence expires soon, nothing has stopped",
                                reasons)
    setup = _found(NEW_SETUP, text)
    if setup and not wide and not blocked and not critical and symptom in (None, "login_failure", "data_sync", "crash_error"):
        why("new_setup", setup)
        return PriorityDecision("P3", "partial problem: setting up a new user or department", reasons)
    one_payment = _found(KIOSK_PAYMENT, text) if symptom == "settlement_failure" else ""
    if one_payment and not wide and not group and not waiting:
        why("one_payment", one_payment)
        return PriorityDecision("P3", "figures disagree: one kiosk payment to reconcile, the counters work on", reasons)
    if mismatch and not blocked and not waiting and not NOT_ARRIVING.search(text):
        why("mismatch", mismatch)
        return PriorityDecision("P3", "figures disagree: to reconcile, nothing has stopped", reasons)
    if partial and not blocked and not waiting:
        why("partial_output", partial)
        return PriorityDecision("P3", "part of an output is wrong or missing; the work goes on", reasons)
    if waiting and failing and not single:
        return PriorityDecision("P2", "patients wait at a step that fails", reasons)
    # A printer or a late record in a safety area, for one station and with nothing blocked, is
    # partial: the seed desk and the second writer both rate it P3. Patient identification
    # (wristbands) stays a safety matter.
    peripheral = (symptom in ("print_failure", "data_sync") and not group and not blocked
                  and not PATIENT_ID.search(text))
    if critical and failing and not single and not peripheral:
        return PriorityDecision("P2", "degraded function in a patient-safety area", reasons)
    intermittent = _found(INTERMITTENT, text)
    if intermittent and not group and not blocked and not waiting and not critical and symptom != "storage_alarm":
        why("intermittent", intermittent)
        return PriorityDecision("P3", "partial problem: a share of the attempts fails, the rest go through", reasons)
    if single or eased:
        return PriorityDecision("P3", "partial problem: one workstation or user, or a workaround exists", reasons)
    if symptom == "outage" or alert in ("critical", "high"):
        return PriorityDecision("P2", "a service is down or alarming", reasons)
    if symptom == "cert_license" and not expiring and not single and EXPIRED.search(text):
        why("certificate_expired", _found(EXPIRED, text))
        return PriorityDecision("P2", "core function degraded: a certificate or licence has expired", reasons)
    if blocked or group or transcribing or (symptom in DEGRADING and system in CORE_SYSTEMS):
        return PriorityDecision("P2", "core function degraded without a workaround", reasons)
    if symptom == "slow" and system in CORE_SYSTEMS and not workaround:
        return PriorityDecision("P2", "core system slow for its users, no workaround", reasons)
    if symptom == "storage_alarm":
        usage = _usage(text)
        if usage >= 95 or STORAGE_URGENT.search(text) or STORAGE_FULL.search(text) or usage == 0:
            return PriorityDecision("P2", "storage filling: the systems on it will stop", reasons)
        why("storage_headroom", f"{usage:g}%")
        return PriorityDecision("P3", "monitoring warning: storage filling, with room left", reasons)
    if failing and system in CORE_SYSTEMS and symptom not in ("print_failure", "login_failure"):
        return PriorityDecision("P2", "core function failing, no workaround mentioned", reasons)
    return PriorityDecision("P3", "partial problem: nothing says it stops more than one task", reasons)
