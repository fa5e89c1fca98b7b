{
    "name": "Clinic Meetings",
    "summary": "Pros, meetings and participants shared by the Clinic Telehealth modules",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "depends": ["portal", "mail", "bus"],
    "data": [
        "security/clinic_meeting_security.xml",
        "security/ir.model.access.csv",
        "views/clinic_pro_views.xml",
        "views/clinic_meeting_views.xml",
        "views/clinic_meeting_menus.xml",
        "views/clinic_audit_log_views.xml",
        "views/res_config_settings_views.xml",
        "views/clinic_meeting_templates.xml",
        "views/portal_templates.xml",
    ],
    "demo": ["demo/clinic_meeting_demo.xml"],
    "assets": {
        "web.assets_frontend": [
            # Discuss's peer-to-peer transport, without the rest of its call UI.
            "mail/static/src/discuss/call/common/peer_to_peer.js",
            "clinic_meeting/static/src/**/*",
        ],
    },
    "installable": True,
    "application": True,
}
