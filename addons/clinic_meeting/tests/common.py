from odoo import Command
from odoo.tests import TransactionCase, new_test_user


def setup_clinic_pros(cls):
    """Two pros (portal users) and a clinic manager, as class attributes."""
    cls.user_pro_a = new_test_user(
        cls.env, login="test_pro_a", groups="base.group_portal", name="Dr. Alpha"
    )
    cls.user_pro_b = new_test_user(
        cls.env, login="test_pro_b", groups="base.group_portal", name="Dr. Beta"
    )
    cls.user_manager = new_test_user(
        cls.env,
        login="test_clinic_manager",
        groups="base.group_user,clinic_meeting.group_clinic_manager",
    )
    cls.pro_a, cls.pro_b = cls.env["clinic.pro"].create(
        [
            {"name": "Dr. Alpha", "user_id": cls.user_pro_a.id},
            {"name": "Dr. Beta", "user_id": cls.user_pro_b.id},
        ]
    )


def create_meeting(env, name="John Doe", birthdate="1980-05-04", guest=None, **values):
    """A waiting meeting whose patient is an anonymous guest."""
    guest = guest or env["mail.guest"].create({"name": name})
    return env["clinic.meeting"].create(
        {
            "name": name,
            "participant_ids": [
                Command.create(
                    {"role": "patient", "name": name, "birthdate": birthdate, "guest_id": guest.id}
                )
            ],
            **values,
        }
    )


class ClinicMeetingCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_clinic_pros(cls)

    @classmethod
    def _create_meeting(cls, *args, **kwargs):
        return create_meeting(cls.env, *args, **kwargs)
