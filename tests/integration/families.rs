//! Families in the loop: answers to notices, rescheduled appointments (being written).
