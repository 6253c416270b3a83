"""The contingency plans every deployment starts with (admins edit them afterwards)."""

from __future__ import annotations

from models.enums import RiskType, Role

# risk type -> (title, summary, [(role, action), ...]) in the order the steps are taken.
DEFAULT_PLANS: dict[RiskType, tuple[str, str, list[tuple[Role, str]]]] = {
    RiskType.shortage: (
        "缺料应急预案",
        "关键物料不能按需到位时，先保生产不停，再追原因。",
        [
            (Role.buyer, "立即联系原供应商，书面确认可发数量和最早到货日期"),
            (Role.buyer, "向备用供应商询价下单，必要时接受加急费"),
            (Role.warehouse, "核查库存和其他订单中同规格物料，办理借料或调拨"),
            (Role.engineering, "评估可替代的物料或规格，出具替代确认单"),
            (Role.production, "调整排程，先做不受缺料影响的工序"),
            (Role.tracker, "评估对交期的影响，必要时与客户沟通并记录"),
        ],
    ),
    RiskType.supplier_delay: (
        "供应商延期应急预案",
        "供应商不能按承诺日期交货时，盯紧新日期，备好后手。",
        [
            (Role.buyer, "确认延期原因和新的承诺日期，每天跟进供应商生产进度"),
            (Role.buyer, "派人驻厂催货或视频查看在制数量"),
            (Role.buyer, "要求分批发货，急需部分先发；安排加急物流（专车或空运）"),
            (Role.buyer, "新承诺仍不可信时，转单给备用供应商"),
            (Role.tracker, "同步生产调整排程，评估交期影响，按合同记录供应商违约"),
        ],
    ),
    RiskType.equipment_failure: (
        "设备故障应急预案",
        "设备停机时，先转产保产量，修好后加班追回。",
        [
            (Role.production, "立即停机挂牌，通知设备维修，记录故障现象和时间"),
            (Role.production, "预计维修超过 4 小时的，把工序转到备用设备或其他产线"),
            (Role.buyer, "必要时把该工序委外给已认证的外协厂加工"),
            (Role.production, "修复后安排加班或倒班，追回欠产"),
            (Role.quality, "修复后首件检验合格，方可恢复批量生产"),
            (Role.tracker, "更新排程和交期预测，通知相关人员"),
        ],
    ),
    RiskType.weather: (
        "恶劣天气应急预案",
        "暴雨、台风、大雪影响运输或现场作业时，改路线、保货物、保安全。",
        [
            (Role.logistics, "关注气象预警，提前确认运输路线和封路情况"),
            (Role.logistics, "改走替代路线或换运输方式（铁路、分段运输）"),
            (Role.logistics, "加固包装，做好防雨防潮，确认货物保险"),
            (Role.site_engineer, "暂停室外吊装和高空作业，遮盖现场设备"),
            (Role.tracker, "与客户确认新的到货和安装时间，书面记录"),
        ],
    ),
    RiskType.labour: (
        "人员不足应急预案",
        "人手不够时，先调配、再加班、再外包，关键岗位必须持证。",
        [
            (Role.production, "统计缺口岗位和人数，从其他班组临时调配"),
            (Role.production, "安排加班或倒班，注意工时上限"),
            (Role.production, "启用劳务外包或点工补充，进场前做安全交底"),
            (Role.site_engineer, "核查焊工、电工等关键岗位持证上岗"),
            (Role.tracker, "评估对进度的影响，调整里程碑并通知相关人员"),
        ],
    ),
}
