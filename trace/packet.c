/*
 * packet.c - link-type names.
 *
 * Names are the ones tcpdump and libpcap print ("EN10MB", "LINUX_SLL"),
 * keyed by LINKTYPE_ value (the pcap and pcapng file value), which
 * differs from the DLT_ value for a few types such as RAW.
 */
#include "packet.h"

#include <stddef.h>

struct linktype_name {
	uint32_t linktype;
	const char *name;
};

static const struct linktype_name names[] = {
	{ TW_LINK_NULL, "NULL" },
	{ TW_LINK_ETHERNET, "EN10MB" },
	{ 6, "IEEE802" },
	{ 7, "ARCNET" },
	{ 8, "SLIP" },
	{ 9, "PPP" },
	{ 10, "FDDI" },
	{ 50, "PPP_SERIAL" },
	{ 51, "PPP_ETHER" },
	{ TW_LINK_RAW, "RAW" },
	{ 104, "C_HDLC" },
	{ 105, "IEEE802_11" },
	{ 107, "FRELAY" },
	{ TW_LINK_LOOP, "LOOP" },
	{ TW_LINK_LINUX_SLL, "LINUX_SLL" },
	{ 119, "PRISM_HEADER" },
	{ 127, "IEEE802_11_RADIO" },
	{ 143, "DOCSIS" },
	{ 163, "IEEE802_11_RADIO_AVS" },
	{ 192, "PPI" },
	{ 195, "IEEE802_15_4" },
	{ 197, "ERF" },
	{ 201, "BLUETOOTH_HCI_H4_WITH_PHDR" },
	{ 220, "USB_LINUX_MMAPPED" },
	{ TW_LINK_IPV4, "IPV4" },
	{ TW_LINK_IPV6, "IPV6" },
	{ 231, "DBUS" },
	{ 239, "NFLOG" },
	{ 249, "USBPCAP" },
	{ TW_LINK_LINUX_SLL2, "LINUX_SLL2" },
};

const char *tw_linktype_name(uint32_t linktype)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].linktype == linktype)
			return names[i].name;
	return NULL;
}
