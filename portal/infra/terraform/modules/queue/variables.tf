variable "name" {
  type        = string
  description = "The resource's name; unique in the account."
}

variable "environment" {
  type        = string
  description = "The portal environment (dev, staging, prod, ...)."
}

variable "connection_secret_path" {
  type        = string
  description = "Secret store path the module writes the connection details to."
}

variable "size" {
  type        = string
  description = "Size class: CPU, memory and storage tier."
}

variable "mode" {
  type        = string
  description = "Point-to-point or fan-out."
}

variable "dead_letter" {
  type        = bool
  description = "Move messages that keep failing aside."
}

variable "max_message_kb" {
  type        = number
  description = "max message kb"
}

variable "backup" {
  type        = bool
  description = "Replicate messages to a second zone."
}

variable "retention_days" {
  type        = number
  description = "Days backups or data are kept."
}

variable "tags" {
  type        = map(string)
  description = "Labels for cost allocation and ownership (the five standard keys)."
}
